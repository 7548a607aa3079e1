/**
 * /console/syncs: what the syncs are doing — running and recent ProcedureExecutions as trees,
 * refreshing itself while something runs. Staff can start a sync or a parity run (form POSTs).
 */
import type { FC } from 'hono/jsx';
import type { ExecutionNode } from '#shared/procedures/execution-tree.ts';
import { anyActive, countWhere, ExecutionTree } from './components/execution-tree.tsx';
import { Empty, Layout, type Notice, type Viewer } from './components/layout.tsx';

export interface SyncsProps {
  roots: ExecutionNode[];
  viewer: Viewer;
  canTrigger: boolean;
  notice: Notice | null;
  now: number;
  /** The kinds staff may start (sync-runs.ts SYNC_RUN_KINDS). */
  syncKinds: readonly string[];
}

const KIND_HELP: Record<string, string> = {
  full: 'full: products, orders, deletions, then the marts',
  products: 'products only',
  orders: 'orders and refunds',
  marts: 'marts: rebuild the performance mart',
};

export const SyncsPage: FC<SyncsProps> = ({ roots, viewer, canTrigger, notice, now, syncKinds }) => {
  const active = anyActive(roots);
  const running = countWhere(roots, (n) => n.status === 'running' || n.status === 'waiting');
  const queued = countWhere(roots, (n) => n.status === 'queued');
  const failed = countWhere(roots, (n) => n.status === 'failed');
  return (
    <Layout title="Syncs" current="/console/syncs" viewer={viewer} notice={notice} refreshSeconds={active ? 5 : null}>
      <p id="syncs-summary">
        {roots.length === 0
          ? 'Nothing has run yet.'
          : `${running} running, ${queued} queued, ${failed} failed among the ${roots.length} latest runs and what they started.`}{' '}
        {active ? <span class="muted small">This page refreshes every 5 s while something runs.</span> : null}
      </p>
      <section id="sync-trigger">
        {canTrigger ? (
          <>
            <form method="post" action="/console/sync-runs" class="inline">
              <label for="sync-kind">Sync</label>
              <select id="sync-kind" name="kind">
                {syncKinds.map((kind) => (
                  <option value={kind} selected={kind === 'full'}>
                    {KIND_HELP[kind] ?? kind}
                  </option>
                ))}
              </select>
              <button type="submit">Start sync</button>
            </form>
            <form method="post" action="/console/parity-checks" class="inline">
              <input type="hidden" name="back" value="syncs" />
              <button type="submit">Run parity checks now</button>
            </form>
          </>
        ) : (
          <p class="muted small">Starting a sync or a parity run needs the staff role.</p>
        )}
      </section>
      <section id="executions">
        <h2>Running and recent</h2>
        {roots.length === 0 ? (
          <Empty>
            No sync has run yet. The ingest Worker starts an incremental sync every 15 minutes and a full one nightly at
            03:00 UTC{canTrigger ? '; or start one above' : ''}. Each run appears here with the steps it starts, its
            rows and, for loads, how much of the archived export has been read.
          </Empty>
        ) : (
          <ExecutionTree roots={roots} now={now} />
        )}
      </section>
    </Layout>
  );
};
