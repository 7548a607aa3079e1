/**
 * The cutover console: one server-rendered page (Hono JSX, no front-end build) with the cutover
 * gate, the recent parity runs, and the failing checks of the selected run with where they differ.
 * Staff see a button that starts a run (a plain form POST).
 */
import type { Child, FC } from 'hono/jsx';
import type { ParityCheckResult } from '../../../../shared/parity/comparison.ts';
import type { CutoverGate } from '../../../../shared/parity/cutover-gate.ts';
import type { ParityCheckSummary, StoredParityRun } from '../../../../shared/parity/store.ts';

interface DifferingKeyView {
  product_id: number;
  metric_date: string;
  difference: string;
  legacy: Record<string, unknown> | null;
  new: Record<string, unknown> | null;
}

export interface ConsoleProps {
  gate: CutoverGate;
  runs: StoredParityRun<ParityCheckSummary>[];
  selected: StoredParityRun | null;
  viewer: { name: string; role: string };
  canTrigger: boolean;
  notice: { kind: 'ok' | 'error'; text: string } | null;
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1180px; padding: 16px 24px; color: #1d2329; }
h1 { font-size: 22px; margin: 4px 0 12px; } h2 { font-size: 17px; margin: 24px 0 8px; } h3 { font-size: 15px; margin: 16px 0 6px; }
header { display: flex; justify-content: space-between; align-items: baseline; }
.muted { color: #5c6670; } .small { font-size: 12px; }
.gate { border-radius: 8px; padding: 12px 16px; border: 2px solid; }
.gate.open { background: #e8f6ec; border-color: #2f8f4e; } .gate.closed { background: #fdecec; border-color: #c0392b; }
.gate strong { font-size: 18px; letter-spacing: .04em; }
table { border-collapse: collapse; width: 100%; margin: 6px 0; } th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e3e6e8; vertical-align: top; }
th { background: #f5f7f8; font-weight: 600; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 10px; font-size: 12px; font-weight: 600; }
.pass { background: #dff3e4; color: #1e6b37; } .fail { background: #fbdcdc; color: #9b2424; } .error { background: #fbe7c9; color: #8a5200; }
.queued, .running { background: #e3ecfa; color: #24508f; } .succeeded { background: #eef0f2; color: #3d4650; } .failed { background: #fbdcdc; color: #9b2424; }
.notice { padding: 8px 12px; border-radius: 6px; margin: 8px 0; } .notice.ok { background: #e3ecfa; } .notice.error { background: #fbdcdc; }
button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid #24508f; background: #2d63b3; color: white; cursor: pointer; }
.check { border: 1px solid #e3e6e8; border-radius: 8px; padding: 4px 14px 10px; margin: 10px 0; }
td.differs { background: #fff3cd; font-weight: 600; }
table.differing-keys td.num { white-space: nowrap; }
code, pre { font-family: ui-monospace, monospace; font-size: 12px; } pre { background: #f5f7f8; padding: 8px; overflow-x: auto; max-height: 260px; }
`;

const Badge: FC<{ value: string | null }> = ({ value }) => (
  <span class={`badge ${value ?? 'queued'}`}>{value ?? '—'}</span>
);

function percent(value: number | null): string {
  if (value === null) return '—';
  return `${(value * 100).toFixed(value * 100 < 10 ? 2 : 1)}%`;
}

function show(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k} ${v}`)
      .join(' · ');
  }
  return String(value);
}

/** A table of rows (objects), columns from the first rows' keys; nested objects as compact text. */
const Rows: FC<{ rows: unknown; caption?: string; columns?: string[] }> = ({ rows, caption, columns }) => {
  if (!Array.isArray(rows) || rows.length === 0) return null;
  const records = rows as Record<string, unknown>[];
  const keys = columns ?? [...new Set(records.flatMap((r) => Object.keys(r)))];
  return (
    <table>
      {caption ? <caption class="muted small">{caption}</caption> : null}
      <thead>
        <tr>
          {keys.map((k) => (
            <th>{k}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {records.map((r) => (
          <tr>
            {keys.map((k) => (
              <td>{Array.isArray(r[k]) ? (r[k] as unknown[]).map(show).join(', ') || '—' : show(r[k])}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
};

/** The part of a check's details that says where the sides differ. */
const CheckDetails: FC<{ check: ParityCheckResult }> = ({ check }) => {
  const d = check.details as Record<string, unknown>;
  const parts: Child[] = [];
  switch (check.name) {
    case 'dataset_row_count': {
      const keys = (d.differing_keys as DifferingKeyView[] | undefined) ?? [];
      const columns = ((d.row_columns as string[] | undefined) ?? []).filter(
        (c) => c !== 'product_id' && c !== 'metric_date',
      );
      parts.push(
        <p class="muted small">
          Differing keys (product, day){d.differing_keys_truncated ? ' — a sample, there are more' : ''}, found by
          comparing checksums of {String(d.segments_compared)} segments:
        </p>,
        <table class="differing-keys">
          <thead>
            <tr>
              <th>product_id</th>
              <th>metric_date</th>
              <th>difference</th>
              {columns.map((c) => (
                <th class="num">{c}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr>
                <td>{k.product_id}</td>
                <td>{k.metric_date}</td>
                <td>{k.difference}</td>
                {columns.map((c) => {
                  const a = k.legacy?.[c];
                  const b = k.new?.[c];
                  const differs = k.difference === 'values' && a !== b;
                  return (
                    <td class={`num${differs ? ' differs' : ''}`}>
                      {show(a)} / {show(b)}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>,
        <p class="muted small">Each value: legacy / new (— where the row is missing).</p>,
      );
      break;
    }
    case 'daily_net_sales':
      parts.push(
        <Rows
          rows={((d.days as { verdict: string }[]) ?? []).filter((day) => day.verdict !== 'pass')}
          caption="Days beyond the tolerance"
        />,
      );
      break;
    case 'top_products':
      parts.push(
        <Rows rows={d.only_legacy} caption="In the legacy top list only" />,
        <Rows rows={d.only_new} caption="In the new top list only" />,
        <Rows rows={d.differing} caption="Net sales beyond the tolerance" />,
      );
      break;
    case 'classification_distribution':
      parts.push(
        <Rows rows={d.buckets} caption="Products per bucket" />,
        <Rows rows={d.differing_products} caption="Products classified differently (sample)" />,
      );
      break;
    default:
      parts.push(
        <Rows rows={d.by_source} caption="Rows per source" />,
        <Rows
          rows={((d.differing_products as Record<string, unknown>[]) ?? []).map((p) => ({
            ...p,
            only_legacy: ((p.only_legacy as { member: string; source: string }[]) ?? []).map(
              (m) => `${m.member} (${m.source})`,
            ),
            only_new: ((p.only_new as { member: string; source: string }[]) ?? []).map(
              (m) => `${m.member} (${m.source})`,
            ),
          }))}
          caption="Products whose members differ (sample)"
        />,
      );
  }
  return <div>{parts}</div>;
};

const RunDetails: FC<{ run: StoredParityRun }> = ({ run }) => {
  const failing = run.checks.filter((c) => c.verdict !== 'pass');
  return (
    <section id="run-details" data-run-id={run.id}>
      <h2>
        Run of {run.requested_at} <Badge value={run.verdict ?? run.status} />
      </h2>
      <p class="muted">
        Window {run.window ? `${run.window.from} – ${run.window.to}` : '—'}; dated data through{' '}
        {run.window?.through ?? '—'}; watermark {run.watermark_at ?? 'none (no completed sync)'} (legacy synced{' '}
        {run.legacy_synced_at ?? 'never'}, new synced {run.new_synced_at ?? 'never'}).
      </p>
      {run.error ? <p class="notice error">{run.error}</p> : null}
      <table>
        <thead>
          <tr>
            <th>check</th>
            <th class="num">legacy</th>
            <th class="num">new</th>
            <th class="num">difference</th>
            <th class="num">tolerance</th>
            <th>verdict</th>
          </tr>
        </thead>
        <tbody>
          {run.checks.map((c) => (
            <tr>
              <td>{c.name}</td>
              <td class="num">{show(c.legacy_value)}</td>
              <td class="num">{show(c.new_value)}</td>
              <td class="num">{percent(c.difference)}</td>
              <td class="num">{percent(c.tolerance)}</td>
              <td>
                <Badge value={c.verdict} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {failing.length === 0 && run.checks.length > 0 ? <p>Every check passed.</p> : null}
      {failing.map((c) => (
        <div class="check failing-check" data-check={c.name}>
          <h3>
            {c.name} <Badge value={c.verdict} />
          </h3>
          <p>{c.details.summary}</p>
          <CheckDetails check={c} />
        </div>
      ))}
    </section>
  );
};

export const ConsolePage: FC<ConsoleProps> = ({ gate, runs, selected, viewer, canTrigger, notice }) => {
  const active = runs.some((r) => r.status === 'queued' || r.status === 'running');
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>Cutover console</title>
        {/* While a run is queued or running, the page follows it. */}
        {active ? <meta http-equiv="refresh" content="5" /> : null}
        <style>{STYLE}</style>
      </head>
      <body>
        <header>
          <h1>Cutover console</h1>
          <span class="muted small">
            {viewer.name} ({viewer.role})
          </span>
        </header>
        {notice ? <p class={`notice ${notice.kind}`}>{notice.text}</p> : null}

        <section id="gate" class={`gate ${gate.state}`} data-state={gate.state}>
          <strong>Cutover gate {gate.state.toUpperCase()}</strong>
          <p>{gate.reason}</p>
          <p class="muted small">
            Opens when the latest {gate.required_runs} runs, spanning at least {gate.minimum_span_hours} h, all passed.
            Evaluated {gate.evaluated_at}.
          </p>
        </section>

        <section id="trigger">
          {canTrigger ? (
            <form method="post" action="/console/parity-checks">
              <button type="submit">Run parity checks now</button>{' '}
              <span class="muted small">runs on the ingest Worker; this page refreshes while it runs</span>
            </form>
          ) : (
            <p class="muted small">Starting a run needs the staff role.</p>
          )}
        </section>

        <section id="runs">
          <h2>Recent runs</h2>
          <table>
            <thead>
              <tr>
                <th>requested</th>
                <th>status</th>
                <th>verdict</th>
                <th>window</th>
                <th>trigger</th>
                <th>checks</th>
              </tr>
            </thead>
            <tbody>
              {runs.length === 0 ? (
                <tr>
                  <td colspan={6} class="muted">
                    No parity run yet.
                  </td>
                </tr>
              ) : null}
              {runs.map((run) => (
                <tr class="run" data-run-id={run.id} data-status={run.status}>
                  <td>
                    <a href={`/console?run=${run.id}`}>{run.requested_at}</a>
                  </td>
                  <td>
                    <Badge value={run.status} />
                  </td>
                  <td>
                    <Badge value={run.verdict} />
                  </td>
                  <td>{run.window ? `${run.window.from} – ${run.window.to}` : '—'}</td>
                  <td class="small">{run.trigger_source}</td>
                  <td class="small">
                    {run.checks.map((c) => (
                      <span class={`badge ${c.verdict}`} title={c.summary}>
                        {c.name}
                      </span>
                    ))}{' '}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>

        {selected ? <RunDetails run={selected} /> : null}
      </body>
    </html>
  );
};
