/**
 * `npm start` end to end, as a developer runs it: embedded Postgres, the demo store through the
 * Shopify simulator, both Workers under wrangler dev, the first full sync through the API. The
 * test calls the API the way the command says to, compares its numbers with the legacy system's
 * own function on the same demo store, stops it with Ctrl-C (SIGINT), and starts it again to see
 * the data reused. A small demo store, free ports and a temporary data directory keep it apart
 * from a developer's own `npm start`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '#shared/db/types.ts';
import { freePort } from '../../scripts/lib/local-postgres.ts';
import { PROJECT_ROOT } from '../../scripts/lib/migrations.ts';

const READY = 'Press Ctrl-C to stop.';

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>): Started {
  const { DATABASE_URL: _a, LEGACY_DATABASE_URL: _b, ...inherited } = process.env;
  const child = spawn(process.execPath, ['scripts/start.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...inherited, ...env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function until(started: Started, marker: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!started.output().includes(marker)) {
    if (started.child.exitCode !== null) throw new Error(`npm start exited early:\n${started.output()}`);
    if (Date.now() > deadline) throw new Error(`no "${marker}" within ${timeoutMs} ms:\n${started.output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function interrupt(started: Started): Promise<number | null> {
  started.child.kill('SIGINT');
  return started.exited;
}

describe('npm start', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let first: Started;
  let legacy: Sql;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'dashboard-start-'));
    // Embedded Postgres runs as its own user when started by root; it must reach its folder inside.
    await chmod(dataDir, 0o755);
    env = {
      DASHBOARD_DATA_DIR: dataDir,
      PORT: String(await freePort()),
      POSTGRES_PORT: String(await freePort()),
      DEMO_STORE_PRODUCTS: '25',
      DEMO_STORE_ORDERS: '400',
    };
    first = start(env);
    await until(first, READY, 150_000);
    legacy = postgres(`postgres://postgres:postgres@127.0.0.1:${env.POSTGRES_PORT}/legacy`, { max: 1 });
  }, 160_000);

  afterAll(async () => {
    await legacy?.end({ timeout: 1 }).catch(() => {});
    if (first?.child.exitCode === null) await interrupt(first);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('prints how to call the API as a staff identity, and that call answers with the synced demo data', async () => {
    const curl = /curl -H 'Cf-Access-Jwt-Assertion: ([^']+)' (\S+)/.exec(first.output());
    expect(curl, first.output()).not.toBeNull();
    const [, token, url] = curl as unknown as [string, string, string];
    expect(url).toBe(`http://localhost:${env.PORT}/api/dashboard/summary`);
    expect(first.output()).toContain(`http://localhost:${env.PORT}/docs`);
    // The Workers reach Postgres through the Hyperdrive query cache emulation, as production caches reads.
    expect(first.output()).toContain('Hyperdrive query cache emulation on (max_age 60 s, stale-while-revalidate 15 s');

    // The whole demo period, so every synced order counts; the legacy function on the same store is the oracle.
    const [period] = await legacy<{ from: string; to: string }[]>`
      select min((processed_at at time zone shop_timezone())::date)::text as from,
             max((processed_at at time zone shop_timezone())::date)::text as to
      from orders`;
    const { from, to } = period as { from: string; to: string };
    const response = await fetch(`${url}?from=${from}&to=${to}`, { headers: { 'Cf-Access-Jwt-Assertion': token } });
    expect(response.status).toBe(200);
    const summary = (await response.json()) as { orders: number };
    const [oracle] = await legacy<{ summary: unknown }[]>`
      select get_dashboard_summary(${from}::date, ${to}::date) as summary`;
    expect(summary).toEqual(oracle?.summary);
    expect(summary.orders).toBeGreaterThan(0);

    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
  });

  it('opens the cutover console after the local stand-in for the Access login, and not before', async () => {
    const base = `http://localhost:${env.PORT}`;
    expect(first.output()).toContain(`${base}/__dev/login?email=owner@example.com`);
    expect((await fetch(`${base}/console`)).status).toBe(401);
    const login = await fetch(`${base}/__dev/login?email=owner@example.com`, { redirect: 'manual' });
    expect(login.status).toBe(302);
    expect(login.headers.get('location')).toBe('/console');
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect(cookie).toMatch(/^CF_Authorization=ey/);
    const page = await fetch(`${base}/console`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<h1>Cutover console</h1>');
  });

  it('reports both Workers healthy with the first full sync recorded (details behind Access)', async () => {
    const [, token] = /curl -H 'Cf-Access-Jwt-Assertion: ([^']+)'/.exec(first.output()) as unknown as [string, string];
    for (const path of ['/health', '/ingest/health']) {
      const response = await fetch(`http://localhost:${env.PORT}${path}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
      const details = await fetch(`http://localhost:${env.PORT}${path}/details`, {
        headers: { 'Cf-Access-Jwt-Assertion': token },
      });
      expect(details.status).toBe(200);
      const health = (await details.json()) as { alert: boolean; syncs: { last_succeeded_at: { full: string } } };
      expect(health.syncs.last_succeeded_at.full).not.toBeNull();
      expect(health.alert).toBe(false);
    }
  });

  it('stops everything on Ctrl-C, and a second start reuses the data without another full sync', async () => {
    expect(await interrupt(first)).toBe(0);
    expect(first.output()).toContain('stopped');
    await expect(fetch(`http://localhost:${env.PORT}/health`)).rejects.toThrow();
    await expect(legacy`select 1`).rejects.toThrow();

    const second = start(env);
    try {
      await until(second, READY, 60_000);
      expect(second.output()).toContain('reusing the demo store');
      expect(second.output()).toContain('skipping the first sync');
      expect(second.output()).not.toContain('POST /api/sync-runs');
    } finally {
      expect(await interrupt(second)).toBe(0);
    }
  }, 90_000);
});
