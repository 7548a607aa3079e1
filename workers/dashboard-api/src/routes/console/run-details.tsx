/**
 * The selected parity run: what it compared, one headline row per check (key, legacy, new,
 * difference, verdict), the daily net sales chart, and each check's detail tables — open for the
 * checks that did not pass, folded (a <details>, no JavaScript needed) for those that did.
 */
import type { FC } from 'hono/jsx';
import type { ParityCheckResult } from '#shared/parity/comparison.ts';
import { detailTables, headlineRow } from './components/check-rows.ts';
import { PagedTable, RowsTable, type TableContext } from './components/check-tables.tsx';
import { timestamp, tolerancePercent } from './components/format.ts';
import { Badge, Empty } from './components/layout.tsx';
import { type ChartDay, NetSalesChart } from './components/net-sales-chart.tsx';
import type { SelectedRun } from './components/views.ts';

export const pageParam = (check: string, table: string) => `p_${check}_${table}`;

const CheckSection: FC<{ check: ParityCheckResult; context: TableContext }> = ({ check, context }) => {
  const tables = detailTables(check).filter((t) => t.rows.length > 0);
  const body = (
    <>
      <p>{check.details.summary}</p>
      {tables.map((t) => (
        <PagedTable table={t} param={pageParam(check.name, t.id)} context={context} />
      ))}
    </>
  );
  const heading = (
    <>
      {check.name} <Badge value={check.verdict} />{' '}
      <span class="muted small">tolerance {tolerancePercent(check.tolerance)}</span>
    </>
  );
  return check.verdict === 'pass' ? (
    <details class="check" data-check={check.name}>
      <summary>
        <h3 style="display:inline">{heading}</h3>
      </summary>
      {body}
    </details>
  ) : (
    <section class="check failing-check" data-check={check.name}>
      <h3>{heading}</h3>
      {body}
    </section>
  );
};

export const RunDetails: FC<{ run: SelectedRun; context: TableContext; currency: string }> = ({
  run,
  context,
  currency,
}) => {
  const daily = run.checks.find((c) => c.name === 'daily_net_sales');
  const days = Array.isArray(daily?.details.days) ? (daily.details.days as ChartDay[]) : [];
  return (
    <section id="run-details" data-run-id={run.id}>
      <h2>
        Run of {timestamp(run.requested_at)} <Badge value={run.verdict ?? run.status} />{' '}
        <span class="badge">{run.standard === false ? 'ad hoc' : 'standard'}</span>
      </h2>
      <p class="muted">
        Window {run.window ? `${run.window.from} – ${run.window.to}` : '—'}; dated data through{' '}
        {run.window?.through ?? '—'}; watermark {run.watermark_at ?? 'none (no completed sync)'} (legacy synced{' '}
        {run.legacy_synced_at ?? 'never'}, new synced {run.new_synced_at ?? 'never'}). Money in {currency}.
      </p>
      {run.error ? <p class="notice error">{run.error}</p> : null}
      {run.checks.length === 0 ? (
        <Empty>This run has no check results{run.verdict === null ? ' yet: it is still on its way' : ''}.</Empty>
      ) : (
        <RowsTable
          id="check-summary"
          rows={run.checks.map(headlineRow).map((r, i) => ({ ...r, note: run.checks[i]?.name }))}
          caption="Each check by the values its verdict rests on (the worst day, product or bucket where it has parts)"
          context={context}
        />
      )}
      {daily && days.length > 0 ? (
        <>
          <h3>Daily net sales, legacy and new</h3>
          <NetSalesChart days={days} tolerance={daily.tolerance} money={context.money} currency={currency} />
        </>
      ) : daily ? (
        <Empty>
          The daily net sales check has no days to draw{daily.verdict === 'error' ? ': it could not run' : ''}.
        </Empty>
      ) : null}
      {run.checks.every((c) => c.verdict === 'pass') && run.checks.length > 0 ? <p>Every check passed.</p> : null}
      {run.checks.map((c) => (
        <CheckSection check={c} context={context} />
      ))}
    </section>
  );
};
