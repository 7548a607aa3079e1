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
import { callIngest as call, ingestBaseUrl, operatorCredentials, runCli, UsageError } from './lib/ingest-operator.ts';

const USAGE = `usage: npm run replay -- (--from <ISO time> [--to <ISO time>] | --to <ISO time> | --keys <key,key,…>)
         [--url <ingest Worker URL>] [--no-wait]`;

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
  const base = ingestBaseUrl(values.url);
  const root = base.toString().replace(/\/$/, '');
  const headers = await operatorCredentials(base);
  const body = {
    ...(values.from ? { from: new Date(values.from).toISOString() } : {}),
    ...(values.to ? { to: new Date(values.to).toISOString() } : {}),
    ...(keys?.length ? { keys } : {}),
  };
  const started = await call(`${root}/replay`, { method: 'POST', headers, body: JSON.stringify(body) });
  if (started.status !== 202) {
    console.error(JSON.stringify(started.body, null, 2));
    const blocking = (started.body.error as { details?: { procedure_execution_id?: string } } | undefined)?.details
      ?.procedure_execution_id;
    if (started.status === 409 && blocking) {
      // Which replay blocks this one, and the commands that follow or clear it.
      console.error(
        `blocked by replay ${blocking}: follow it with \`npm run execution -- show ${blocking}\`; if it is stuck or unwanted, clear it with \`npm run execution -- fail ${blocking} --reason "…"\``,
      );
    }
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

runCli(main, USAGE);
