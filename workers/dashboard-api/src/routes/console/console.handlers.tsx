import type { Context } from 'hono';
import { describeIdentity } from '#shared/access/identity.ts';
import type { AccessBindings } from '#shared/access/middleware.ts';
import { hasRole } from '#shared/access/roles.ts';
import { productTitles } from '#shared/catalog/product-titles.ts';
import { DomainError } from '#shared/errors.ts';
import { ApiError } from '#shared/http/errors.ts';
import { shopCurrency } from '#shared/marts/shop-currency.ts';
import type { ParityCheckResult } from '#shared/parity/comparison.ts';
import { evaluateCutoverGate } from '#shared/parity/cutover-gate.ts';
import { findParityRun, listParityRuns, type StoredParityRun } from '#shared/parity/store.ts';
import { triggerParityRun } from '#shared/parity/trigger.ts';
import { uuidSchema } from '#shared/uuid.ts';
import { dashboardApiConfig } from '../../config.ts';
import { moneyFormat } from './components/format.ts';
import type { Notice } from './components/layout.tsx';
import { ConsolePage } from './console.page.tsx';

const RECENT_RUNS = 20;

/** Outcomes of the form POSTs, passed back through the redirect as a code (never as text). */
export const NOTICES: Record<string, Notice> = {
  started: { kind: 'ok', text: 'Parity run queued; it appears below and this page follows it.' },
  already_running: { kind: 'error', text: 'A parity run is already queued or running; wait for it to finish.' },
  sync_started: { kind: 'ok', text: 'Sync queued; it appears below and this page follows it.' },
  sync_running: { kind: 'error', text: 'A sync of that kind is already queued or running; wait for it to finish.' },
  bad_kind: { kind: 'error', text: 'Pick a kind of sync to start.' },
};

type ConsoleContext = Context<AccessBindings>;

/** "Started" stays up only while that run is still on its way; then its results speak. */
function notice(code: string | undefined, selected: StoredParityRun | null): Notice | null {
  if (code === 'started' && selected && selected.status !== 'queued' && selected.status !== 'running') return null;
  return NOTICES[code ?? ''] ?? null;
}

/** Every product id the selected run's details name, so the tables can show titles. */
function productIdsOf(checks: ParityCheckResult[]): number[] {
  const ids: number[] = [];
  const visit = (value: unknown) => {
    if (Array.isArray(value)) for (const v of value) visit(v);
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (k === 'product_id' && typeof v === 'number') ids.push(v);
        else if (typeof v === 'object') visit(v);
      }
    }
  };
  for (const c of checks) visit(c.details);
  return ids;
}

/** GET /console (viewer): the gate and its timeline, the recent runs, the selected (else latest finished) run. */
export async function showConsole(c: ConsoleContext): Promise<Response> {
  const sql = c.var.database.sql;
  const requested = c.req.query('run');
  const tolerance = dashboardApiConfig.read(c.env, 'parity').tolerance;
  // The runs first, then the gate: the gate never lags behind a run the page shows as finished.
  const page = await listParityRuns(sql, { limit: RECENT_RUNS }, tolerance);
  const [gate, currency] = await Promise.all([
    evaluateCutoverGate(sql, dashboardApiConfig.read(c.env, 'cutoverGate')),
    shopCurrency(sql),
  ]);
  const selectedId =
    requested && uuidSchema.safeParse(requested).success ? requested : page.data.find((r) => r.verdict !== null)?.id;
  const selected = selectedId ? await findParityRun(sql, selectedId, tolerance) : null;
  if (requested && !selected) throw new ApiError(404, `parity run ${requested} not found`);
  const titles = selected ? await productTitles(sql, productIdsOf(selected.checks)) : new Map<number, string>();
  const identity = c.var.identity;
  return c.html(
    <ConsolePage
      gate={gate}
      runs={page.data}
      selected={selected}
      viewer={{ name: describeIdentity(identity), role: identity.role }}
      canTrigger={hasRole(identity.role, 'staff')}
      notice={notice(c.req.query('notice'), selected)}
      currency={currency}
      context={{
        money: moneyFormat(currency),
        titles,
        pageOf: (param) => Number.parseInt(c.req.query(param) ?? '1', 10) || 1,
        hrefFor: (param, n) =>
          `/console?${new URLSearchParams({ ...(selected ? { run: selected.id } : {}), [param]: String(n) })}#${param}`,
      }}
    />,
  );
}

/** POST /console/parity-checks (staff): starts a run with the defaults, then back to the page it came from. */
export async function triggerFromConsole(c: ConsoleContext): Promise<Response> {
  const form = await c.req.parseBody();
  const back = form.back === 'syncs' ? '/console/syncs' : '/console';
  try {
    const run = await triggerParityRun(
      c.var.database.sql,
      c.env.INGEST_QUEUE,
      {},
      c.var.identity,
      dashboardApiConfig.read(c.env, 'parity').tolerance,
    );
    return c.redirect(back === '/console' ? `/console?notice=started&run=${run.id}` : `${back}?notice=started`, 303);
  } catch (error) {
    if (error instanceof DomainError && error.kind === 'conflict')
      return c.redirect(`${back}?notice=already_running`, 303);
    throw error;
  }
}
