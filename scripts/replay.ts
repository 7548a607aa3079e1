/**
 * `npm run replay -- --from <ISO> [--to <ISO>] | --keys <key,key,…>`: replays archived Shopify
 * exports (information_bearing_entity, R2) into the raw tables and rebuilds the marts, through the
 * ingest Worker's Access-protected POST /replay (R2 is only reachable from the Worker). Waits for
 * the replay to finish and prints its report as JSON: the exports loaded and the raw tables' row
 * counts before and after. Exit 0 when it succeeded, 1 when it failed, 2 on bad usage.
 *
 * --url       the ingest Worker (default $INGEST_URL, else http://127.0.0.1:8787/ingest, `npm start`)
 * --no-wait   print the accepted request and return
 * Credentials, first found: CF_ACCESS_CLIENT_ID + CF_ACCESS_CLIENT_SECRET (an Access service token
 * with the admin role), ACCESS_TOKEN (a Cf-Access-Jwt-Assertion), or, for a loopback URL only, a
 * token from the local development signer for the service token `local-ops.access` (admin in the
 * development [vars] of workers/ingest/wrangler.toml).
 */
import { parseArgs } from 'node:util';
import { ACCESS_SIGNER_KEY_FILE } from './dev/data-dir.ts';
import { loadLocalSigner } from './dev/local-access-server.ts';

const USAGE = `usage: npm run replay -- (--from <ISO time> [--to <ISO time>] | --to <ISO time> | --keys <key,key,…>)
         [--url <ingest Worker URL>] [--no-wait]`;
const LOCAL_OPERATOR = 'local-ops.access';

class UsageError extends Error {}

async function credentials(url: URL): Promise<Record<string, string>> {
  const { CF_ACCESS_CLIENT_ID: id, CF_ACCESS_CLIENT_SECRET: secret, ACCESS_TOKEN: token } = process.env;
  if (id && secret) return { 'CF-Access-Client-Id': id, 'CF-Access-Client-Secret': secret };
  if (token) return { 'Cf-Access-Jwt-Assertion': token };
  if (['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    const signer = await loadLocalSigner(ACCESS_SIGNER_KEY_FILE);
    return { 'Cf-Access-Jwt-Assertion': await signer.token({ commonName: LOCAL_OPERATOR }) };
  }
  throw new UsageError('no credentials: set CF_ACCESS_CLIENT_ID and CF_ACCESS_CLIENT_SECRET, or ACCESS_TOKEN');
}

async function call(url: string, init: RequestInit & { headers: Record<string, string> }) {
  const response = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...init.headers } });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.status, body: body as Record<string, unknown> };
}

async function main(argv: string[]): Promise<number> {
  let values: { from?: string; to?: string; keys?: string; url?: string; 'no-wait'?: boolean; help?: boolean };
  try {
    values = parseArgs({
      args: argv,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        keys: { type: 'string' },
        url: { type: 'string' },
        'no-wait': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const keys = values.keys
    ?.split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (!values.from && !values.to && !keys?.length) throw new UsageError('name what to replay: --from/--to or --keys');
  for (const flag of ['from', 'to'] as const) {
    if (values[flag] && Number.isNaN(Date.parse(values[flag] as string))) {
      throw new UsageError(`--${flag} is not an ISO time: ${values[flag]}`);
    }
  }
  const base = new URL(values.url ?? process.env.INGEST_URL ?? 'http://127.0.0.1:8787/ingest');
  const root = base.toString().replace(/\/$/, '');
  const headers = await credentials(base);
  const body = {
    ...(values.from ? { from: new Date(values.from).toISOString() } : {}),
    ...(values.to ? { to: new Date(values.to).toISOString() } : {}),
    ...(keys?.length ? { keys } : {}),
  };
  const started = await call(`${root}/replay`, { method: 'POST', headers, body: JSON.stringify(body) });
  if (started.status !== 202) {
    console.error(JSON.stringify(started.body, null, 2));
    return started.status === 400 || started.status === 404 ? 2 : 1;
  }
  if (values['no-wait']) {
    console.log(JSON.stringify(started.body, null, 2));
    return 0;
  }
  const id = started.body.procedure_execution_id as string;
  console.error(`replay ${id}: ${(started.body.exports as string[]).length} export(s); waiting…`);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const report = await call(`${root}/replay/${id}`, { method: 'GET', headers });
    if (report.status !== 200)
      throw new Error(`GET /replay/${id} answered ${report.status}: ${JSON.stringify(report.body)}`);
    if (report.body.status === 'succeeded' || report.body.status === 'failed') {
      console.log(JSON.stringify(report.body, null, 2));
      return report.body.status === 'succeeded' ? 0 : 1;
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      error instanceof UsageError ? `${error.message}\n${USAGE}` : error instanceof Error ? error.message : error,
    );
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
