/**
 * What the syncs are doing: running and recent ProcedureExecutions as trees (a sync and the
 * children it started, down to their loads), each with its phase, rows so far, elapsed time and,
 * for a load, how many bytes of its archived object it has read. Read by the console's syncs page.
 */
import type { Queryable } from '#shared/db/types.ts';

export type ExecutionStatus = 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed';

export interface ExecutionNode {
  id: string;
  /** The procedure kind (execution.ts PROCEDURE_KINDS). */
  kind: string;
  status: ExecutionStatus;
  trigger_source: string;
  /** Where the procedure is: its checkpoint's phase, a load's segment, else its status. */
  phase: string;
  rows_processed: number;
  attempts: number;
  requested_at: string;
  started_at: string | null;
  finished_at: string | null;
  heartbeat_at: string | null;
  /** Seconds since it started, to its end or to now. */
  elapsed_seconds: number | null;
  error: string | null;
  /** For a load: bytes of the stored (compressed) object read so far, of its total. */
  archive: { object_key: string; bytes_read: number; bytes_total: number } | null;
  /** Columns this page does not know by name (added since), shown as they are. */
  extra: Record<string, unknown>;
  children: ExecutionNode[];
}

interface Row extends Omit<ExecutionNode, 'phase' | 'archive' | 'children'> {
  parent_id: string | null;
  checkpoint: Record<string, unknown>;
  object_key: string | null;
  bytes_read: number | null;
  bytes_total: number | null;
  segments: number | null;
}

export const RECENT_ROOTS = 15;
const MAX_DEPTH = 5;
const KNOWN_COLUMNS = [
  'procedure_execution_id',
  'procedure_kind',
  'status',
  'concurrency_key',
  'parent_procedure_execution_id',
  'trigger_source',
  'parameters',
  'checkpoint_state',
  'attempt_count',
  'rows_processed_count',
  'error_text',
  'step_count',
  'requested_at',
  'started_at',
  'heartbeat_at',
  'finished_at',
];

const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

function phaseOf(row: Row): string {
  const c = row.checkpoint;
  if (row.status === 'queued') return 'queued';
  if (row.kind === 'load' && row.segments !== null) {
    const segment = typeof c.segment === 'number' ? c.segment : 0;
    const progress = c.progress as { phase?: string } | null | undefined;
    if (segment < row.segments && row.status !== 'succeeded')
      return `reading segment ${segment + 1} of ${row.segments}`;
    if (progress?.phase) return progress.phase === 'done' ? 'done' : `${progress.phase} (segments read)`;
  }
  if (typeof c.phase === 'string') return c.phase;
  return row.status === 'succeeded' ? 'done' : row.status;
}

/** Running and recent root executions (newest first) with their descendants (oldest first). */
export async function listExecutionTrees(
  sql: Queryable,
  options: { recentRoots?: number } = {},
): Promise<ExecutionNode[]> {
  // Hand-written: a recursive CTE down the tree, with jsonb arithmetic over each load's segment index.
  const rows = await sql<Row[]>`
    with recursive roots as (
      (select procedure_execution_id from procedure_execution
        where parent_procedure_execution_id is null and status in ('queued', 'running', 'waiting'))
      union
      (select procedure_execution_id from procedure_execution
        where parent_procedure_execution_id is null
        order by requested_at desc limit ${options.recentRoots ?? RECENT_ROOTS})
    ), tree as (
      select e.*, 0 as depth from procedure_execution e join roots using (procedure_execution_id)
      union all
      select c.*, t.depth + 1 from procedure_execution c
        join tree t on c.parent_procedure_execution_id = t.procedure_execution_id
      where t.depth < ${MAX_DEPTH}
    )
    select t.procedure_execution_id as id, t.parent_procedure_execution_id as parent_id,
           t.procedure_kind as kind, t.status, t.trigger_source, t.checkpoint_state as checkpoint,
           t.rows_processed_count as rows_processed, t.attempt_count as attempts, t.error_text as error,
           ${sql.unsafe(iso('t.requested_at'))} as requested_at, ${sql.unsafe(iso('t.started_at'))} as started_at,
           ${sql.unsafe(iso('t.finished_at'))} as finished_at, ${sql.unsafe(iso('t.heartbeat_at'))} as heartbeat_at,
           extract(epoch from coalesce(t.finished_at, now()) - t.started_at)::float8 as elapsed_seconds,
           (to_jsonb(t) - array(select jsonb_array_elements_text(${JSON.stringify([...KNOWN_COLUMNS, 'depth'])}::text::jsonb))) as extra,
           i.object_key, a.segments, a.bytes_total,
           case when i.information_bearing_entity_id is null then null
                when t.status = 'succeeded' then a.bytes_total
                else (select coalesce(sum((s ->> 1)::float8), 0) from jsonb_array_elements(i.segment_index)
                        with ordinality as x(s, n)
                       where n <= coalesce((t.checkpoint_state ->> 'segment')::int, 0))
                     + case when jsonb_array_length(i.segment_index) = 0
                             and coalesce((t.checkpoint_state ->> 'segment')::int, 0) >= 1
                            then i.stored_byte_count::float8 else 0 end
           end as bytes_read
    from tree t
    left join information_bearing_entity i
      on t.procedure_kind = 'load'
     and i.information_bearing_entity_id::text = t.parameters ->> 'information_bearing_entity_id'
    left join lateral (
      select greatest(jsonb_array_length(i.segment_index), case when i.line_count > 0 then 1 else 0 end) as segments,
             case when jsonb_array_length(i.segment_index) = 0 then i.stored_byte_count::float8
                  else (select sum((s ->> 1)::float8) from jsonb_array_elements(i.segment_index) s) end as bytes_total
    ) a on i.information_bearing_entity_id is not null
    order by t.requested_at, t.procedure_execution_id`;

  const nodes = new Map<string, ExecutionNode>();
  const parents = new Map<string, string | null>();
  for (const row of rows) {
    const { parent_id, checkpoint: _, object_key, bytes_read, bytes_total, segments: __, ...rest } = row;
    nodes.set(row.id, {
      ...rest,
      extra: Object.fromEntries(Object.entries(row.extra ?? {}).filter(([, v]) => v !== null)),
      phase: phaseOf(row),
      archive: object_key ? { object_key, bytes_read: bytes_read ?? 0, bytes_total: bytes_total ?? 0 } : null,
      children: [],
    });
    parents.set(row.id, parent_id);
  }
  const roots: ExecutionNode[] = [];
  for (const [id, node] of nodes) {
    const parent = parents.get(id);
    const parentNode = parent ? nodes.get(parent) : undefined;
    if (parentNode) parentNode.children.push(node);
    else roots.push(node);
  }
  return roots.reverse();
}
