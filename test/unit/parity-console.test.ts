/**
 * The cutover console in a real headless Chromium: both Workers run under `wrangler dev` (one
 * session, so the dashboard-api's queue producer reaches the ingest Worker's consumer) against test
 * databases holding one generated store with a planted discrepancy, behind the local Access signer.
 * Staff click "Run parity checks now"; the new run appears, the ingest Worker runs it, and the page
 * shows the failing check with its differing keys.
 *
 * Needs Debian's chromium (/usr/bin/chromium; .ci/run installs it when missing).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
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
import { createTestDatabase, type TestDatabase } from '../support/node-databases.ts';
import { loadStoreIntoBoth } from '../support/parity-stores.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
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
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)`);
  tempDir = await mkdtemp(join(tmpdir(), 'parity-console-'));
  [legacyDb, newDb] = await Promise.all([createTestDatabase('legacy'), createTestDatabase('app')]);
  await loadStoreIntoBoth(legacyDb.sql, newDb.sql, generateStore({ seed: 64, products: 25, orders: 300, days: 40 }));
  await newDb.sql`insert into person (email, full_name, role_name) values (${STAFF_EMAIL}, 'Console Staff', 'staff')`;
  // The planted discrepancy: the new side lost the early mart rows of the first ten products.
  const lost = await newDb.sql<{ id: string }[]>`
    delete from performance_measurement_dataset
    where material_artifact_id in (select material_artifact_id from material_artifact order by 1 limit 10)
      and measurement_date < current_date - 35
    returning material_artifact_id::text as id`;
  lostProducts = new Set(lost.map((r) => r.id));

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
  await Promise.all([legacyDb?.drop(), newDb?.drop()]);
  if (tempDir) await rm(tempDir, { recursive: true, force: true });
}, 60_000);

describe('the cutover console in Chromium', () => {
  it('staff click the button, the new run appears, runs on the ingest Worker, and its failing check shows the differing keys', async () => {
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/console`);
    expect(await page.locator('#gate').getAttribute('data-state')).toBe('closed');
    expect(await page.locator('#gate').textContent()).toContain('no standard parity run yet');
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
    const details = page.locator(`#run-details[data-run-id="${runId}"]`);
    await details.waitFor();
    const failing = details.locator('.failing-check');
    expect(await failing.evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-check')))).toEqual([
      'dataset_row_count',
    ]);
    const keys = failing.locator('table.differing-keys tbody tr');
    expect(await keys.count()).toBeGreaterThan(0);
    for (const text of await keys.allInnerTexts()) {
      const [productId, , difference, ordersCount] = text.split('\t');
      expect(lostProducts.has(productId ?? '')).toBe(true);
      expect(difference).toBe('missing_on_new');
      expect(ordersCount).toMatch(/^\d+ \/ —$/);
    }
    expect(await page.locator('.notice').count()).toBe(0);
    if (process.env.PARITY_CONSOLE_SCREENSHOT)
      await page.screenshot({ path: process.env.PARITY_CONSOLE_SCREENSHOT, fullPage: true });
    expect(await page.locator('#gate').textContent()).toContain('the latest standard run failed (dataset_row_count)');
    await page.close();
  }, 180_000);

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
