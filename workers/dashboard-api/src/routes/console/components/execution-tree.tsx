/** ProcedureExecutions as a tree: each with its phase, rows, elapsed time, a load's bytes read, a failure's cause. */
import type { FC } from 'hono/jsx';
import type { ExecutionNode } from '#shared/procedures/execution-tree.ts';
import { bytes, count, duration, timestamp } from './format.ts';
import { Badge } from './layout.tsx';

const ArchiveProgress: FC<{ archive: NonNullable<ExecutionNode['archive']> }> = ({ archive }) => {
  const share = archive.bytes_total > 0 ? Math.min(1, archive.bytes_read / archive.bytes_total) : 1;
  const percent = Math.round(share * 100);
  const label = `${bytes(archive.bytes_read)} of ${bytes(archive.bytes_total)} read (${percent}%)`;
  return (
    <span>
      <span
        class="progress"
        role="progressbar"
        aria-valuemin="0"
        aria-valuemax="100"
        aria-valuenow={String(percent)}
        aria-label={`archived object read: ${label}`}
      >
        <span style={`width:${percent}%`} />
      </span>{' '}
      {label} <code class="muted">{archive.object_key}</code>
    </span>
  );
};

const Execution: FC<{ node: ExecutionNode; now: number }> = ({ node, now }) => {
  const heartbeatAge = node.heartbeat_at ? (now - Date.parse(node.heartbeat_at)) / 1000 : null;
  const live = node.status === 'running' || node.status === 'waiting';
  return (
    <li>
      <div class="execution" data-execution-id={node.id} data-kind={node.kind} data-status={node.status}>
        <strong>{node.kind}</strong> <Badge value={node.status} />{' '}
        {node.phase !== node.status ? <span>phase: {node.phase}</span> : null}
        <div class="facts">
          <span>rows so far: {count(node.rows_processed)}</span>
          <span>elapsed: {node.started_at ? duration(node.elapsed_seconds) : 'not started'}</span>
          <span>requested {timestamp(node.requested_at)}</span>
          {node.attempts > 1 ? <span>attempt {node.attempts}</span> : null}
          {live && heartbeatAge !== null ? <span>last heartbeat {duration(heartbeatAge)} ago</span> : null}
          {Object.entries(node.extra).map(([k, v]) => (
            <span>
              {k.replaceAll('_', ' ')}: {typeof v === 'object' ? JSON.stringify(v) : String(v)}
            </span>
          ))}
          <span class="muted">by {node.trigger_source}</span>
        </div>
        {node.archive ? (
          <div class="facts">
            <ArchiveProgress archive={node.archive} />
          </div>
        ) : null}
        {node.error ? (
          <pre class="cause" data-cause>
            {node.error}
          </pre>
        ) : null}
      </div>
      {node.children.length > 0 ? (
        <ul>
          {node.children.map((child) => (
            <Execution node={child} now={now} />
          ))}
        </ul>
      ) : null}
    </li>
  );
};

export const ExecutionTree: FC<{ roots: ExecutionNode[]; now: number }> = ({ roots, now }) => (
  <ul class="tree" aria-label="Executions, newest first, each with the executions it started">
    {roots.map((node) => (
      <Execution node={node} now={now} />
    ))}
  </ul>
);

/** True while any execution of the trees is still on its way. */
export function anyActive(nodes: ExecutionNode[]): boolean {
  return nodes.some(
    (n) => n.status === 'queued' || n.status === 'running' || n.status === 'waiting' || anyActive(n.children),
  );
}

export function countWhere(nodes: ExecutionNode[], test: (n: ExecutionNode) => boolean): number {
  return nodes.reduce((sum, n) => sum + (test(n) ? 1 : 0) + countWhere(n.children, test), 0);
}
