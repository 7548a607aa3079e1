import type { Context } from 'hono';
import { describeIdentity } from '../../../../shared/access/identity.ts';
import type { AccessBindings } from '../../../../shared/access/middleware.ts';
import { hasRole } from '../../../../shared/access/roles.ts';
import { ApiError } from '../../../../shared/http/errors.ts';
import { evaluateCutoverGate, readCutoverGateConfig } from '../../../../shared/parity/cutover-gate.ts';
import { readParityTolerance } from '../../../../shared/parity/standard.ts';
import { findParityRun, listParityRuns, type StoredParityRun } from '../../../../shared/parity/store.ts';
import { triggerParityRun } from '../../../../shared/parity/trigger.ts';
import { ConsolePage, type ConsoleProps } from './console.page.tsx';

const RECENT_RUNS = 20;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Outcomes of the form POST, passed back through the redirect as a code (never as text). */
const NOTICES: Record<string, ConsoleProps['notice']> = {
  started: { kind: 'ok', text: 'Parity run queued; it appears below and this page follows it.' },
  already_running: { kind: 'error', text: 'A parity run is already queued or running; wait for it to finish.' },
};

type ConsoleContext = Context<AccessBindings>;

/** "Started" stays up only while that run is still on its way; then its results speak. */
function notice(code: string | undefined, selected: StoredParityRun | null): ConsoleProps['notice'] {
  if (code === 'started' && selected && selected.status !== 'queued' && selected.status !== 'running') return null;
  return NOTICES[code ?? ''] ?? null;
}

/** GET /console (viewer): the gate, the recent runs, and the selected (else latest finished) run. */
export async function showConsole(c: ConsoleContext): Promise<Response> {
  const sql = c.var.database.sql;
  const requested = c.req.query('run');
  const config = readCutoverGateConfig(c.env);
  const tolerance = readParityTolerance(c.env);
  const [gate, page] = await Promise.all([
    evaluateCutoverGate(sql, config),
    listParityRuns(sql, { limit: RECENT_RUNS }, tolerance),
  ]);
  const selectedId = requested && UUID.test(requested) ? requested : page.data.find((r) => r.verdict !== null)?.id;
  const selected = selectedId ? await findParityRun(sql, selectedId, tolerance) : null;
  if (requested && !selected) throw new ApiError(404, `parity run ${requested} not found`);
  const identity = c.var.identity;
  return c.html(
    <ConsolePage
      gate={gate}
      runs={page.data}
      selected={selected}
      viewer={{ name: describeIdentity(identity), role: identity.role }}
      canTrigger={hasRole(identity.role, 'staff')}
      notice={notice(c.req.query('notice'), selected)}
    />,
  );
}

/** POST /console/parity-checks (staff): starts a run with the defaults, then back to the console. */
export async function triggerFromConsole(c: ConsoleContext): Promise<Response> {
  try {
    const run = await triggerParityRun(
      c.var.database.sql,
      c.env.INGEST_QUEUE,
      {},
      c.var.identity,
      readParityTolerance(c.env),
    );
    return c.redirect(`/console?notice=started&run=${run.id}`, 303);
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) return c.redirect('/console?notice=already_running', 303);
    throw error;
  }
}
