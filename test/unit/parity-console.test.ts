/**
 * The cutover console and the syncs page in a real headless Chromium: both Workers run under
 * `wrangler dev` (one session, so the dashboard-api's queue producer reaches the ingest Worker's
 * consumer) against test databases, behind the local Access signer. The pages are seen empty;
 * then with one generated store in both databases and two planted discrepancies (early mart rows
 * lost on the new side, one day's net sales inflated 30%), staff click "Run parity checks now",
 * the ingest Worker runs it, and the page shows the failing checks, the marked day on the chart
 * and the differing keys; a 731-day run's page stays under 200 KB; the syncs page shows a sync
 * tree and starts a sync. Screenshots and page sizes: test-results/console/real-*.
 *
 * Needs Debian's chromium (/usr/bin/chromium; .ci/run installs it when missing).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CERTS_PATH,
  createLocalAccessSigner,
  LOCAL_ACCESS_AUD,
  LOCAL_ACCESS_TEAM_DOMAIN,
  type LocalAccessSigner,
} from '../../scripts/dev/local-access-signer.ts';
import { freePort } from '../../scripts/lib/local-postgres.ts';
import { PROJECT_ROOT } from '../../scripts/lib/migrations.ts';
import { generateStore } from '../../scripts/store-generator/generate.ts';
import { addDays } from '../../workers/shared/shop-calendar.ts';
import { CHROMIUM, CHROMIUM_FLAGS, requireChromium, screenshotFolder } from '../support/chromium.ts';
import { createTestDatabase, type TestDatabase } from '../support/node-databases.ts';
import { loadStoreIntoBoth } from '../support/parity-stores.ts';

const STAFF_EMAIL = 'console-staff@example.com';

let legacyDb: TestDatabase;
let newDb: TestDatabase;
let signer: LocalAccessSigner;
let jwksServer: Server;
let wrangler: ChildProcess;
let wranglerLog = '';
let baseUrl: string;
let browser: BrowserContext;
let tempDir: string;
let lostProducts: Set<string>;
let inflatedDay: string;
let folder: string;
const pageSizes: Record<string, number> = {};

async function serveJwks(): Promise<string> {
  const port = await freePort();
  jwksServer = createServer((request, response) => {
    if (request.url === CERTS_PATH) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(signer.jwks()));
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => jwksServer.listen(port, '127.0.0.1', resolve));
  return `http://127.0.0.1:${port}${CERTS_PATH}`;
}

async function waitForHealth(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (wrangler.exitCode !== null) throw new Error(`wrangler dev exited (${wrangler.exitCode}):\n${wranglerLog}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${url} did not become healthy: ${last}\n${wranglerLog.slice(-4000)}`);
}

beforeAll(async () => {
  requireChromium();
  folder = await screenshotFolder('console');
  tempDir = await mkdtemp(join(tmpdir(), 'parity-console-'));
  [legacyDb, newDb] = await Promise.all([createTestDatabase('legacy'), createTestDatabase('app')]);
  await newDb.sql`insert into person (email, full_name, role_name) values (${STAFF_EMAIL}, 'Console Staff', 'staff')`;

  signer = await createLocalAccessSigner({ issuer: LOCAL_ACCESS_TEAM_DOMAIN, audience: LOCAL_ACCESS_AUD });
  const jwksUrl = await serveJwks();
  const [port, inspectorPort] = [await freePort(), await freePort()];
  baseUrl = `http://127.0.0.1:${port}`;
  wrangler = spawn(
    join(PROJECT_ROOT, 'node_modules/.bin/wrangler'),
    [
      'dev',
      '--config',
      'wrangler.toml',
      '--config',
      'workers/ingest/wrangler.toml',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      String(inspectorPort),
      '--persist-to',
      join(tempDir, 'wrangler'),
      '--var',
      `ACCESS_JWKS_URL:${jwksUrl}`,
      // Nothing listens there: a sync started from the page fails on its own, without a real shop.
      '--var',
      `SHOPIFY_ADMIN_API_URL:http://127.0.0.1:${await freePort()}/admin/api/2026-07/graphql.json`,
      '--show-interactive-dev-session=false',
    ],
    {
      cwd: PROJECT_ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: 'false',
        CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: newDb.url,
        CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_LEGACY_HYPERDRIVE: legacyDb.url,
      },
    },
  );
  wrangler.stdout?.on('data', (chunk) => {
    wranglerLog += chunk;
  });
  wrangler.stderr?.on('data', (chunk) => {
    wranglerLog += chunk;
  });
  await waitForHealth(`${baseUrl}/health`, 90_000);

  browser = await chromium.launchPersistentContext(join(tempDir, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    // What Cloudflare Access adds to every request that passed its login.
    extraHTTPHeaders: { 'Cf-Access-Jwt-Assertion': await signer.token({ email: STAFF_EMAIL }) },
  });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  if (wrangler?.pid && wrangler.exitCode === null) {
    const exited = new Promise((resolve) => wrangler.once('exit', resolve));
    process.kill(-wrangler.pid, 'SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  }
  await new Promise((resolve) => jwksServer?.close(resolve));
  if (folder) await writeFile(join(folder, 'real-page-sizes.json'), `${JSON.stringify(pageSizes, null, 2)}\n`);
  await Promise.all([legacyDb?.drop(), newDb?.drop()]);
  if (tempDir) await rm(tempDir, { recursive: true, force: true });
}, 60_000);

/** What a person sees of an element (rendered text, cells apart). */
async function visibleText(locator: Locator): Promise<string> {
  return (await locator.allInnerTexts()).join('\n');
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(folder, `real-${name}.png`), fullPage: true });
}

/** Opens a console page, noting its size in bytes as served. */
async function visit(page: Page, path: string, name: string): Promise<void> {
  const response = await page.goto(`${baseUrl}${path}`);
  expect(response?.status()).toBe(200);
  pageSizes[name] = (await response?.body())?.byteLength ?? -1;
}

async function staffFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('Cf-Access-Jwt-Assertion', await signer.token({ email: STAFF_EMAIL }));
  return fetch(`${baseUrl}${path}`, { ...init, headers });
}

describe('the cutover console in Chromium', () => {
  it('explains an empty database on both pages', async () => {
    const page = await browser.newPage();
    await visit(page, '/console', 'console-empty');
    expect(await page.locator('#gate').getAttribute('data-state')).toBe('closed');
    expect(await page.locator('#gate').textContent()).toContain('no standard parity run yet');
    expect(await visibleText(page.locator('#timeline .empty'))).toContain('No finished parity run yet');
    expect(await visibleText(page.locator('#runs .empty'))).toContain('No parity run yet');
    expect(await page.locator('svg').count()).toBe(0);
    await shoot(page, 'console-empty');
    await page.getByRole('link', { name: 'What the syncs are doing' }).click();
    await page.waitForURL(/\/console\/syncs$/);
    expect(await visibleText(page.locator('#executions .empty'))).toContain('No sync has run yet');
    await shoot(page, 'syncs-empty');
    await page.close();
  }, 60_000);

  it('staff click the button, the run fails on the planted discrepancies, and the page shows where', async () => {
    await loadStoreIntoBoth(legacyDb.sql, newDb.sql, generateStore({ seed: 64, products: 25, orders: 300, days: 40 }));
    // The planted discrepancies: the new side lost the early mart rows of the first ten products,
    const lost = await newDb.sql<{ id: string }[]>`
      delete from performance_measurement_dataset
      where material_artifact_id in (select material_artifact_id from material_artifact order by 1 limit 10)
        and measurement_date < current_date - 35
      returning material_artifact_id::text as id`;
    lostProducts = new Set(lost.map((r) => r.id));
    // and its busiest day of the window has 30% more net sales.
    const [inflated] = await newDb.sql<{ day: string }[]>`
      with busiest as (
        select measurement_date from performance_measurement_dataset
        where measurement_date between current_date - 15 and current_date - 5
        group by 1 order by sum(aggregate_measurement_value) desc limit 1)
      update performance_measurement_dataset
      set aggregate_measurement_value = round(aggregate_measurement_value * 1.3, 2)
      where measurement_date = (select measurement_date from busiest)
      returning measurement_date::text as day`;
    inflatedDay = inflated?.day ?? '';
    expect(inflatedDay).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    const page = await browser.newPage();
    await page.goto(`${baseUrl}/console`);
    expect(await page.locator('tr.run').count()).toBe(0);
    await Promise.all([
      page.waitForURL(/\/console\?notice=started&run=/),
      page.getByRole('button', { name: 'Run parity checks now' }).click(),
    ]);
    const runId = new URL(page.url()).searchParams.get('run');
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);
    const row = page.locator(`tr.run[data-run-id="${runId}"]`);
    expect(await row.count()).toBe(1);

    // The page refreshes itself while the run is queued or running; the ingest Worker finishes it.
    await row.and(page.locator('[data-status="succeeded"]')).waitFor({ timeout: 90_000 });
    await visit(page, `/console?run=${runId}`, 'console-failing-run');
    const details = page.locator(`#run-details[data-run-id="${runId}"]`);
    const failing = await details
      .locator('.failing-check')
      .evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-check')));
    expect(failing).toContain('dataset_row_count');
    expect(failing).toContain('daily_net_sales');
    expect(await page.locator('.notice').count()).toBe(0);
    expect(await page.locator('#gate').textContent()).toContain('the latest standard run failed (');

    // One point per day of the 30-day window, the inflated day the one beyond the tolerance.
    const days = await page
      .locator('#net-sales-chart svg [data-date]')
      .evaluateAll((n) => n.map((x) => x.getAttribute('data-date')));
    expect(days).toHaveLength(30);
    expect(new Set(days).size).toBe(30);
    expect(
      await page.locator('[data-date][data-beyond]').evaluateAll((n) => n.map((x) => x.getAttribute('data-date'))),
    ).toEqual([inflatedDay]);
    expect(await visibleText(page.locator('#net-sales-caption'))).toMatch(
      /1 of 30 days beyond the ±1\.00% tolerance; the largest difference \+23\.\d\d% on /,
    );
    const beyond = page.locator('[data-check="daily_net_sales"] [data-table="days-beyond"] tbody tr');
    expect(await visibleText(beyond)).toMatch(
      new RegExp(`^${inflatedDay}\\s+\\$[\\d,.]+\\s+\\$[\\d,.]+\\s+\\+23\\.\\d\\d%\\s+fail$`),
    );

    // Each differing key: a lost product's row missing on new, or a row of the inflated day.
    const keys = details.locator('[data-check="dataset_row_count"] [data-table="differing-keys"] tbody tr');
    expect(await keys.count()).toBeGreaterThan(0);
    for (const key of await keys.all()) {
      const productId = (await key.locator('a').getAttribute('href'))?.replace('/api/products/', '') ?? '';
      const text = await visibleText(key);
      if (text.includes(inflatedDay)) expect(text).toMatch(/[+\u2212]23\.\d\d%\s+values differ$/);
      else {
        expect(lostProducts.has(productId)).toBe(true);
        expect(text).toMatch(/\$[\d,.]+\s+missing\s+\u2212100\.00%\s+missing on new$/);
      }
    }
    await shoot(page, 'console-failing-run');
    await page.close();
  }, 240_000);

  it('a 731-day run draws one point per day and its page stays under 200 KB', async () => {
    const latest = (await (await staffFetch('/api/parity-checks?limit=1')).json()) as {
      data: { window: { to: string } }[];
    };
    const to = latest.data[0]?.window.to ?? '';
    const started = await staffFetch('/api/parity-checks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: addDays(to, -730), to }),
    });
    expect(started.status).toBe(202);
    const { id } = (await started.json()) as { id: string };
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/console?run=${id}`);
    await page.locator(`tr.run[data-run-id="${id}"][data-status="succeeded"]`).waitFor({ timeout: 90_000 });
    await visit(page, `/console?run=${id}`, 'console-731-days');
    expect(await page.locator('#net-sales-chart svg [data-date]').count()).toBe(731);
    expect(await page.locator('#net-sales-chart svg [data-date]').first().getAttribute('data-date')).toBe(
      addDays(to, -730),
    );
    expect(pageSizes['console-731-days']).toBeLessThan(200 * 1024);
    // Every day in pages of 31: the folded table opens, and its next page comes from the server.
    await page.locator('details[data-table="days"] > summary').click();
    await Promise.all([
      page.waitForURL(/p_daily_net_sales_days=2#p_daily_net_sales_days$/),
      page.locator('details[data-table="days"] .pager').getByRole('link', { name: 'next →' }).click(),
    ]);
    expect(await page.locator('details[data-table="days"]').getAttribute('open')).not.toBeNull();
    expect(await visibleText(page.locator('details[data-table="days"] .pager'))).toContain('page 2 of 24');
    expect(await visibleText(page.locator('details[data-table="days"] tbody tr').first())).toContain(
      addDays(to, -730 + 31),
    );
    await page.goto(`${baseUrl}/console?run=${id}`);
    // Two runs on the timeline now, both counted: the latest failed and closed the gate.
    expect(await page.locator('#gate-timeline [data-timeline-run]').count()).toBe(2);
    await shoot(page, 'console-731-days');
    await page.close();
  }, 180_000);

  it('the syncs page shows a sync tree with a load part-way, a failure with its cause, and starts a sync', async () => {
    const [full] = await newDb.sql<{ id: string }[]>`
      insert into procedure_execution (procedure_kind, status, trigger_source, checkpoint_state, started_at, heartbeat_at)
      values ('full', 'waiting', 'cron:*/15 * * * *', '{"phase": "orders"}', now() - interval '4 minutes', now())
      returning procedure_execution_id as id`;
    const [orders] = await newDb.sql<{ id: string }[]>`
      insert into procedure_execution (procedure_kind, status, parent_procedure_execution_id, checkpoint_state, started_at)
      values ('orders', 'waiting', ${full?.id ?? null}, '{"phase": "load"}', now() - interval '3 minutes')
      returning procedure_execution_id as id`;
    const [entity] = await newDb.sql<{ id: string }[]>`
      insert into information_bearing_entity
        (object_key, resource_name, byte_count, line_count, sha256_digest, stored_byte_count, segment_index)
      values ('orders/console-test.jsonl.gz', 'orders', 40000000, 4000, ${'b'.repeat(64)}, 8000000,
              '[[0, 2000000, 1, 1000], [2000000, 2000000, 1001, 1000], [4000000, 2000000, 2001, 1000], [6000000, 2000000, 3001, 1000]]')
      returning information_bearing_entity_id as id`;
    await newDb.sql`
      insert into procedure_execution (procedure_kind, status, parent_procedure_execution_id, parameters, checkpoint_state,
                                       rows_processed_count, started_at, heartbeat_at)
      values ('load', 'running', ${orders?.id ?? null}, ${JSON.stringify({ information_bearing_entity_id: entity?.id })}::text::jsonb,
              '{"segment": 3, "progress": null, "counts": {}}', 2980, now() - interval '2 minutes', now())`;
    await newDb.sql`
      insert into procedure_execution (procedure_kind, status, trigger_source, error_text, started_at, finished_at)
      values ('products', 'failed', ${`api:${STAFF_EMAIL}`}, 'ShopifyError: bulk operation FAILED (INTERNAL_SERVER_ERROR)',
              now() - interval '2 hours', now() - interval '2 hours' + interval '40 seconds')`;

    const page = await browser.newPage();
    await visit(page, '/console/syncs', 'syncs');
    const load = page.locator('ul.tree > li > ul > li > ul > li > .execution[data-kind="load"]');
    expect(await load.locator('[role="progressbar"]').getAttribute('aria-valuenow')).toBe('75');
    expect(await visibleText(load)).toContain('phase: reading segment 4 of 4');
    expect(await visibleText(load)).toContain('rows so far: 2,980');
    expect(
      await visibleText(page.locator('.execution[data-status="failed"][data-kind="products"] [data-cause]')),
    ).toContain('INTERNAL_SERVER_ERROR');
    // The parity runs are there too, as roots of their own.
    expect(await page.locator('ul.tree > li > .execution[data-kind="parity_check"]').count()).toBe(2);
    expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(1);
    await shoot(page, 'syncs');

    await page.locator('#sync-kind').selectOption('orders');
    await Promise.all([
      page.waitForURL(/\/console\/syncs\?notice=sync_started$/),
      page.getByRole('button', { name: 'Start sync' }).click(),
    ]);
    expect(await visibleText(page.locator('.notice'))).toContain('Sync queued');
    expect(await page.locator('ul.tree > li > .execution[data-kind="orders"]').count()).toBe(1);
    await page.close();
  }, 60_000);

  it('the shadow comparison runs its whole request set against the real dashboard-api (compared with itself)', async () => {
    const cli = fileURLToPath(new URL('../../scripts/shadow/cli.ts', import.meta.url));
    const token = await signer.token({ email: STAFF_EMAIL });
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        [cli, '--legacy-base', baseUrl, '--new-base', baseUrl, '--token', token, '--json'],
        { maxBuffer: 16 * 1024 * 1024 },
        (error, out) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: out }),
      );
    });
    const report = JSON.parse(stdout) as {
      outcomes: { scenario: string; path: string; outcome: string; legacyStatus?: number }[];
    };
    // Every route of the request set exists and answers without a server error.
    const asked = report.outcomes.filter((o) => o.outcome !== 'skipped');
    expect(asked.length).toBeGreaterThan(30);
    for (const o of asked) {
      expect(o.legacyStatus, `${o.path}`).toBeLessThan(500);
      expect([200, 400, 403, 404], `${o.path}`).toContain(o.legacyStatus);
      // The only 404 asked for is the unknown product, the only 403 the admins' staff list.
      if (o.legacyStatus === 404) expect(o.path).toBe('/api/products/1');
      if (o.legacyStatus === 403) expect(o.path).toBe('/api/staff');
    }
    expect(asked.filter((o) => o.legacyStatus === 200).length).toBeGreaterThan(25);
    // The product ids discovered on the first page were asked about.
    expect(asked.some((o) => /^\/api\/products\/\d{6,}$/.test(o.path) && o.legacyStatus === 200)).toBe(true);
    // Comparing an API with itself finds nothing: the diff and the ignore rules add no noise of their own.
    expect(report.outcomes.filter((o) => o.outcome === 'different')).toEqual([]);
    expect(code).toBe(0);
  }, 120_000);
});
