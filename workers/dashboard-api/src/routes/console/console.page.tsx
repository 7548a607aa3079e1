/**
 * The cutover console: one server-rendered page (Hono JSX, inline SVG, no front-end build) with
 * the gate and its timeline, the recent parity runs, and the selected run's checks, chart and
 * detail tables. Staff see a button that starts a run (a plain form POST).
 */
import type { FC } from 'hono/jsx';
import type { TableContext } from './components/check-tables.tsx';
import { timestamp } from './components/format.ts';
import { GateTimeline } from './components/gate-timeline.tsx';
import { Badge, Empty, Layout, type Notice, type Viewer } from './components/layout.tsx';
import { CHART_SCRIPT } from './components/net-sales-chart.tsx';
import type { GateView, RunView, SelectedRun } from './components/views.ts';
import { RunDetails } from './run-details.tsx';

export interface ConsoleProps {
  gate: GateView;
  runs: RunView[];
  selected: SelectedRun | null;
  viewer: Viewer;
  canTrigger: boolean;
  notice: Notice | null;
  currency: string;
  context: TableContext;
}

const RecentRuns: FC<{ runs: RunView[] }> = ({ runs }) =>
  runs.length === 0 ? (
    <Empty>No parity run yet. Runs appear here as soon as they are queued.</Empty>
  ) : (
    <table>
      <caption>The last {runs.length} parity runs, newest first; pick one to see its checks</caption>
      <thead>
        <tr>
          <th scope="col">requested</th>
          <th scope="col">status</th>
          <th scope="col">verdict</th>
          <th scope="col">kind</th>
          <th scope="col">window</th>
          <th scope="col">trigger</th>
          <th scope="col">checks not passing</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => {
          const failing = run.checks.filter((c) => c.verdict !== 'pass');
          return (
            <tr class="run" data-run-id={run.id} data-status={run.status}>
              <td class="nowrap">
                <a href={`/console?run=${run.id}`}>{timestamp(run.requested_at)}</a>
              </td>
              <td>
                <Badge value={run.status} />
              </td>
              <td>
                <Badge value={run.verdict} />
              </td>
              <td>{run.standard === false ? 'ad hoc' : 'standard'}</td>
              <td class="nowrap">{run.window ? `${run.window.from} – ${run.window.to}` : '—'}</td>
              <td class="small">{run.trigger_source}</td>
              <td class="small">
                {run.verdict === null
                  ? '—'
                  : failing.length === 0
                    ? 'none'
                    : failing.map((c) => (
                        <span class={`badge ${c.verdict}`} title={c.summary}>
                          {c.name}
                        </span>
                      ))}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );

export const ConsolePage: FC<ConsoleProps> = ({
  gate,
  runs,
  selected,
  viewer,
  canTrigger,
  notice,
  currency,
  context,
}) => {
  const active = runs.some((r) => r.status === 'queued' || r.status === 'running');
  return (
    <Layout
      title="Cutover console"
      current="/console"
      viewer={viewer}
      notice={notice}
      refreshSeconds={active ? 5 : null}
      script={CHART_SCRIPT}
    >
      <section id="gate" class={`gate ${gate.state}`} data-state={gate.state}>
        <strong>Cutover gate {gate.state.toUpperCase()}</strong>
        <p>{gate.reason}</p>
        <p class="small">
          Opens when the latest {gate.required_runs} standard runs, spanning at least {gate.minimum_span_hours} h, all
          passed. Evaluated {timestamp(gate.evaluated_at)}.
        </p>
      </section>

      <section id="trigger">
        {canTrigger ? (
          <form method="post" action="/console/parity-checks" class="inline">
            <button type="submit">Run parity checks now</button>
            <span class="muted small">runs on the ingest Worker; this page refreshes while it runs</span>
          </form>
        ) : (
          <p class="muted small">Starting a run needs the staff role.</p>
        )}
        <a href="/console/syncs">What the syncs are doing →</a>
      </section>

      <section id="timeline">
        <h2>The gate over time</h2>
        <GateTimeline gate={gate} runs={runs} />
      </section>

      <section id="runs">
        <h2>Recent runs</h2>
        <RecentRuns runs={runs} />
      </section>

      {selected ? (
        <RunDetails run={selected} context={context} currency={currency} />
      ) : runs.length > 0 ? (
        <Empty>No run has finished yet; its checks appear here when it has.</Empty>
      ) : null}
    </Layout>
  );
};
