/**
 * `npm run execution -- <show|redrive|fail> <execution-id>`: an operator's actions on one
 * ProcedureExecution, through the ingest Worker's Access-protected admin routes
 * (workers/ingest/src/routes/executions/). `npm run redrive -- <id>` is `execution redrive`.
 *
 *   show <id>                    its state as JSON: status, step, cause, heartbeat, wake-up, the
 *                                watchdog's re-sends and finding, when a dead letter was recorded
 *   redrive <id> [--no-wait]     a failed execution resumes from its last checkpoint (at the step it
 *                                failed in); waits until it has finished and prints it
 *   fail <id> --reason <text>    fails an active execution that blocks its schedule or a CLI (frees
 *                                its concurrency key)
 *
 * Exit 0 when done (a redriven execution succeeded), 1 when it failed or the Worker refused, 2 on
 * bad usage or a bad id. --url the ingest Worker (default $INGEST_URL, else `npm start`'s); the
 * credentials are those of scripts/lib/ingest-operator.ts.
 */
import { parseArgs } from 'node:util';
import { uuidSchema } from '../workers/shared/uuid.ts';
import { callIngest, ingestBaseUrl, operatorCredentials, runCli, UsageError } from './lib/ingest-operator.ts';

const USAGE = `usage: npm run execution -- show <execution-id>
       npm run execution -- redrive <execution-id> [--no-wait]
       npm run execution -- fail <execution-id> --reason <why>
       (each takes [--url <ingest Worker URL>])`;

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [action, id, ...rest] = positionals;
  if (!action || !['show', 'redrive', 'fail'].includes(action))
    throw new UsageError('name an action: show, redrive or fail');
  if (!id || rest.length > 0) throw new UsageError('name one execution id');
  if (!uuidSchema.safeParse(id).success) throw new UsageError(`not an execution id (a uuid): ${id}`);
  if (action === 'fail' && !values.reason?.trim()) throw new UsageError('say why with --reason');

  const base = ingestBaseUrl(values.url);
  const root = `${base.toString().replace(/\/$/, '')}/executions/${id}`;
  const headers = await operatorCredentials(base);
  const answer =
    action === 'show'
      ? await callIngest(root, { method: 'GET', headers })
      : action === 'fail'
        ? await callIngest(`${root}/fail`, { method: 'POST', headers, body: JSON.stringify({ reason: values.reason }) })
        : await callIngest(`${root}/redrive`, { method: 'POST', headers });
  if (answer.status >= 400) {
    console.error(JSON.stringify(answer.body, null, 2));
    return answer.status === 400 || answer.status === 404 ? 2 : 1;
  }
  if (action !== 'redrive' || values['no-wait']) {
    console.log(JSON.stringify(answer.body, null, 2));
    return 0;
  }
  console.error(`execution ${id} redriven at step ${answer.body.step}; waiting…`);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const state = await callIngest(root, { method: 'GET', headers });
    if (state.status !== 200)
      throw new Error(`GET /executions/${id} answered ${state.status}: ${JSON.stringify(state.body)}`);
    if (state.body.status === 'succeeded' || state.body.status === 'failed') {
      console.log(JSON.stringify(state.body, null, 2));
      return state.body.status === 'succeeded' ? 0 : 1;
    }
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      reason: { type: 'string' },
      'no-wait': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
}

runCli(main, USAGE);
