import type { Context } from 'hono';
import { describeIdentity } from '#shared/access/identity.ts';
import type { AccessBindings } from '#shared/access/middleware.ts';
import { hasRole } from '#shared/access/roles.ts';
import { DomainError } from '#shared/errors.ts';
import { listExecutionTrees } from '#shared/procedures/execution-tree.ts';
import { SYNC_RUN_KINDS, type SyncRunKind, triggerSyncRun } from '#shared/procedures/sync-runs.ts';
import { NOTICES } from './console.handlers.tsx';
import { SyncsPage } from './syncs.page.tsx';

type ConsoleContext = Context<AccessBindings>;

/** GET /console/syncs (viewer): running and recent executions as trees. */
export async function showSyncs(c: ConsoleContext): Promise<Response> {
  const roots = await listExecutionTrees(c.var.database.sql);
  const identity = c.var.identity;
  return c.html(
    <SyncsPage
      roots={roots}
      viewer={{ name: describeIdentity(identity), role: identity.role }}
      canTrigger={hasRole(identity.role, 'staff')}
      notice={NOTICES[c.req.query('notice') ?? ''] ?? null}
      now={Date.now()}
      syncKinds={SYNC_RUN_KINDS}
    />,
  );
}

/** POST /console/sync-runs (staff): the same as POST /api/sync-runs, from a form; then back to the syncs. */
export async function triggerSyncFromConsole(c: ConsoleContext): Promise<Response> {
  const form = await c.req.parseBody();
  const kind = form.kind;
  if (typeof kind !== 'string' || !(SYNC_RUN_KINDS as readonly string[]).includes(kind)) {
    return c.redirect('/console/syncs?notice=bad_kind', 303);
  }
  try {
    await triggerSyncRun(c.var.database.sql, c.env.INGEST_QUEUE, kind as SyncRunKind, c.var.identity);
    return c.redirect('/console/syncs?notice=sync_started', 303);
  } catch (error) {
    if (error instanceof DomainError && error.kind === 'conflict')
      return c.redirect('/console/syncs?notice=sync_running', 303);
    throw error;
  }
}
