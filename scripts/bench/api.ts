/**
 * The dashboard-api under load: the Worker under `wrangler dev` (workerd, its Hyperdrive bindings on
 * the benchmark's loaded databases, the local Access signer's JWKS), called by autocannon with a
 * token for the seeded master. Each endpoint is checked once for a 200 with data before it is
 * loaded, so a figure never comes from error responses; a run with any non-2xx answer fails.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { writeDevConfigs } from '../dev/dev-configs.ts';
import { serveLocalSigner } from '../dev/local-access-server.ts';
import { createLocalAccessSigner } from '../dev/local-access-signer.ts';
import { freePort } from '../lib/local-postgres.ts';
import { PROJECT_ROOT, seed } from '../lib/migrations.ts';
import { summarizeTimings, type Timing } from './marts.ts';

/** The endpoints the issue names, with their default window (the 30 days ending yesterday). */
export const API_ENDPOINTS = [
  { name: 'products list', path: '/api/products' },
  { name: 'dashboard summary', path: '/api/dashboard/summary' },
  { name: 'top products', path: '/api/dashboard/top-products' },
] as const;

export interface ApiFigures {
  name: string;
  path: string;
  p50Ms: Timing;
  p99Ms: Timing;
  requestsPerSecond: Timing;
  requests: number;
}

export interface ApiBenchOptions {
  newUrl: string;
  legacyUrl: string;
  runs: number;
  /** Seconds per autocannon run. */
  seconds: number;
  connections: number;
  log?: (message: string) => void;
}

const STAFF_EMAIL = 'owner@example.com';

async function waitForHealth(url: string, wrangler: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (wrangler.exitCode !== null) throw new Error(`wrangler dev exited (${wrangler.exitCode}):\n${output()}`);
    const ok = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${url} did not become healthy:\n${output()}`);
}

async function stop(wrangler: ChildProcess): Promise<void> {
  if (wrangler.exitCode !== null || wrangler.signalCode !== null) return;
  const exited = new Promise((resolve) => wrangler.once('exit', resolve));
  wrangler.kill('SIGINT');
  const killer = setTimeout(() => wrangler.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(killer);
}

export async function benchApi(options: ApiBenchOptions): Promise<ApiFigures[]> {
  const log = options.log ?? (() => {});
  await seed(options.newUrl); // the master the token names
  const state = await mkdtemp(join(tmpdir(), 'bench-api-'));
  const signer = await createLocalAccessSigner();
  const jwks = await serveLocalSigner(signer, 0);
  let wrangler: ChildProcess | undefined;
  try {
    const [config] = await writeDevConfigs(join(state, 'config'), {
      vars: { 'dashboard-api': { ACCESS_JWKS_URL: jwks.jwksUrl }, ingest: {} },
      hyperdrive: { HYPERDRIVE: options.newUrl, LEGACY_HYPERDRIVE: options.legacyUrl },
    });
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    log(`starting the dashboard-api under wrangler dev on ${base}`);
    wrangler = spawn(
      join(PROJECT_ROOT, 'node_modules/.bin/wrangler'),
      [
        'dev',
        ...['--config', config as string, '--port', String(port), '--ip', '127.0.0.1', '--inspector-port', '0'],
        ...['--persist-to', join(state, 'wrangler'), '--show-interactive-dev-session=false'],
      ],
      { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
    );
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk).slice(-8000);
    };
    wrangler.stdout?.on('data', keep);
    wrangler.stderr?.on('data', keep);
    await waitForHealth(`${base}/health`, wrangler, () => output);

    const token = await signer.token({ email: STAFF_EMAIL }, { expiresInSeconds: 3600 });
    const headers = { 'Cf-Access-Jwt-Assertion': token };
    const figures: ApiFigures[] = [];
    for (const endpoint of API_ENDPOINTS) {
      const url = `${base}${endpoint.path}`;
      const response = await fetch(url, { headers });
      const body = (await response.json()) as Record<string, unknown>;
      const empty = Array.isArray(body.data) ? body.data.length === 0 : body.orders === 0;
      if (response.status !== 200 || empty) {
        throw new Error(`GET ${endpoint.path} answered ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
      }
      const p50: number[] = [];
      const p99: number[] = [];
      const rps: number[] = [];
      let requests = 0;
      for (let run = 0; run < options.runs; run++) {
        const result = await autocannon({
          url,
          headers,
          connections: options.connections,
          duration: options.seconds,
        });
        if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
          throw new Error(
            `GET ${endpoint.path} under load: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
          );
        }
        p50.push(result.latency.p50);
        p99.push(result.latency.p99);
        rps.push(result.requests.average);
        requests += result.requests.total;
      }
      figures.push({
        ...endpoint,
        p50Ms: summarizeTimings(p50),
        p99Ms: summarizeTimings(p99),
        requestsPerSecond: summarizeTimings(rps),
        requests,
      });
      log(
        `  ${endpoint.name}: p50 ${figures.at(-1)?.p50Ms.median} ms, ${figures.at(-1)?.requestsPerSecond.median} req/s`,
      );
    }
    return figures;
  } finally {
    if (wrangler) await stop(wrangler);
    await jwks.close();
    await rm(state, { recursive: true, force: true });
  }
}
