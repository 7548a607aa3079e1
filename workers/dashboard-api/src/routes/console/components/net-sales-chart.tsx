/**
 * Daily net sales, legacy against new, over a parity run's window (the daily_net_sales check's
 * days): both as lines, the days beyond the tolerance marked, and below them each day's signed
 * difference as a bar against the tolerance band. Every day is one <g data-date> with a <title>
 * (hover without JavaScript; its accessible name when focused) and a hit area over both panels.
 */
import type { FC } from 'hono/jsx';
import { compactMoneyFormat, type MoneyFormat, signedDifference, signedPercent, tolerancePercent } from './format.ts';
import { PALETTE } from './palette.ts';

export interface ChartDay {
  date: string;
  legacy: number;
  new: number;
  verdict: string;
}

const W = 960;
const LEFT = 70;
const RIGHT = 14;
const TOP = [12, 196] as const; // the lines' panel, y from–to
const DIFF = [226, 330] as const; // the differences' panel
const AXIS_Y = 348;
const H = 360;

const r1 = (n: number) => Math.round(n * 10) / 10;

function linePath(values: number[], x: (i: number) => number, y: (v: number) => number): string {
  return values.map((v, i) => `${i === 0 ? 'M' : 'L'}${r1(x(i))} ${r1(y(v))}`).join('');
}

/** Round steps for the value axis: 1, 2 or 5 × a power of ten, about `count` of them over [lo, hi]. */
export function valueTicks(lo: number, hi: number, count = 4): number[] {
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}

/** Evenly spaced indexes for axis labels, first and last included. */
function ticks(n: number, wanted: number): number[] {
  if (n <= 1) return [0];
  const step = Math.max(1, Math.round((n - 1) / (wanted - 1)));
  const out: number[] = [];
  for (let i = 0; i < n - 1; i += step) if (n - 1 - i >= step / 2) out.push(i);
  out.push(n - 1);
  return out;
}

export function chartSummary(days: ChartDay[], tolerance: number, money: MoneyFormat): string {
  const total = (side: 'legacy' | 'new') => days.reduce((s, d) => s + d[side], 0);
  const [legacy, fresh] = [total('legacy'), total('new')];
  const beyond = days.filter((d) => d.verdict !== 'pass');
  let worst: ChartDay | undefined;
  let worstDiff = 0;
  for (const d of days) {
    const diff = Math.abs(signedDifference(d.legacy, d.new) ?? 0);
    if (diff > worstDiff) [worst, worstDiff] = [d, diff];
  }
  const first = days[0]?.date ?? '—';
  const last = days.at(-1)?.date ?? '—';
  const worstText = worst
    ? `the largest difference ${signedPercent(signedDifference(worst.legacy, worst.new))} on ${worst.date} (legacy ${money(worst.legacy)}, new ${money(worst.new)})`
    : 'no day differs';
  return (
    `Daily net sales from ${first} to ${last} (${days.length} days): legacy ${money(legacy)} in all, new ${money(fresh)} ` +
    `(${signedPercent(signedDifference(legacy, fresh))}). ${beyond.length} of ${days.length} days beyond the ` +
    `${tolerancePercent(tolerance)} tolerance; ${worstText}.`
  );
}

export const NetSalesChart: FC<{ days: ChartDay[]; tolerance: number; money: MoneyFormat; currency: string }> = ({
  days,
  tolerance,
  money,
  currency,
}) => {
  const n = days.length;
  const step = (W - LEFT - RIGHT) / n;
  const x = (i: number) => LEFT + (i + 0.5) * step;
  const all = days.flatMap((d) => [d.legacy, d.new]);
  const lo0 = Math.min(0, ...all);
  const hi0 = Math.max(...all, lo0 + 1);
  const yTicks = valueTicks(lo0, hi0);
  // the axis ends on round values
  const step0 = (yTicks[1] ?? hi0) - (yTicks[0] ?? lo0);
  const lo = Math.min(lo0, yTicks[0] ?? lo0);
  const hi = Math.max(hi0, Math.ceil(hi0 / step0) * step0);
  const y = (v: number) => TOP[1] - ((v - lo) / (hi - lo)) * (TOP[1] - TOP[0]);
  const diffs = days.map((d) => signedDifference(d.legacy, d.new) ?? 0);
  const span = Math.min(1, Math.max(tolerance * 2, ...diffs.map(Math.abs)));
  const zero = (DIFF[0] + DIFF[1]) / 2;
  const yd = (d: number) => zero - (d / span) * ((DIFF[1] - DIFF[0]) / 2);
  const axisMoney = compactMoneyFormat(currency);
  const barWidth = r1(Math.max(0.6, step * 0.7));
  const bars = (beyond: boolean) =>
    diffs
      .map((d, i) => {
        if ((days[i]?.verdict !== 'pass') !== beyond || d === 0) return '';
        const top = Math.min(yd(d), zero);
        return `M${r1(x(i) - barWidth / 2)} ${r1(top)}h${barWidth}v${r1(Math.max(0.8, Math.abs(yd(d) - zero)))}h${-barWidth}z`;
      })
      .join('');
  const gridValues = valueTicks(lo, hi);
  const readout = 'net-sales-readout';
  return (
    <figure id="net-sales-chart" class="chart">
      <figcaption id="net-sales-caption">{chartSummary(days, tolerance, money)}</figcaption>
      <div class="legend" aria-hidden="true">
        <span>
          <i style={`border-color:${PALETTE.legacy}`} />
          legacy (solid)
        </span>
        <span>
          <i style={`border-color:${PALETTE.new};border-top-style:dashed`} />
          new (dashed)
        </span>
        <span>
          <b style={`color:${PALETTE.fail}`}>●</b> day beyond the tolerance
        </span>
        <span>bars: difference per day (new against legacy); shaded band: {tolerancePercent(tolerance)}</span>
      </div>
      <a class="small" href="#net-sales-after">
        Skip past the chart's days
      </a>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        aria-labelledby="net-sales-caption"
        data-chart-days={readout}
        data-day-count={String(n)}
      >
        <title>Daily net sales, legacy and new, and each day's difference against the tolerance</title>
        {gridValues.map((v) => (
          <g>
            <line class="grid" x1={LEFT} x2={W - RIGHT} y1={r1(y(v))} y2={r1(y(v))} />
            <text x={LEFT - 6} y={r1(y(v)) + 4} text-anchor="end">
              {axisMoney(v)}
            </text>
          </g>
        ))}
        <path
          class="legacy"
          d={linePath(
            days.map((d) => d.legacy),
            x,
            y,
          )}
        />
        <path
          class="new"
          d={linePath(
            days.map((d) => d.new),
            x,
            y,
          )}
        />
        {days.map((d, i) =>
          d.verdict !== 'pass' ? <circle class="mark" cx={r1(x(i))} cy={r1(y(d.new))} r="4" /> : null,
        )}
        <rect
          class="band"
          x={LEFT}
          width={W - LEFT - RIGHT}
          y={r1(yd(tolerance))}
          height={r1(yd(-tolerance) - yd(tolerance))}
        />
        <path
          class="edge"
          d={`M${LEFT} ${r1(yd(tolerance))}H${W - RIGHT}M${LEFT} ${r1(yd(-tolerance))}H${W - RIGHT}`}
        />
        <line class="axis" x1={LEFT} x2={W - RIGHT} y1={zero} y2={zero} />
        <text x={LEFT - 6} y={r1(yd(span)) + 8} text-anchor="end">
          {signedPercent(span)}
        </text>
        <text x={LEFT - 6} y={zero + 4} text-anchor="end">
          0
        </text>
        <text x={LEFT - 6} y={r1(yd(-span))} text-anchor="end">
          {signedPercent(-span)}
        </text>
        <path class="within" d={bars(false)} />
        <path class="beyond" d={bars(true)} />
        {ticks(n, 7).map((i, k, all) => (
          <text x={r1(x(i))} y={AXIS_Y} text-anchor={k === 0 ? 'start' : k === all.length - 1 ? 'end' : 'middle'}>
            {days[i]?.date}
          </text>
        ))}
        <g class="days">
          {days.map((d, i) => (
            <g data-date={d.date} data-beyond={d.verdict !== 'pass' ? '' : undefined} tabindex="0">
              <title>
                {`${d.date}: legacy ${money(d.legacy)}, new ${money(d.new)}, ${signedPercent(diffs[i] ?? 0)}${d.verdict !== 'pass' ? ' beyond the tolerance' : ''}`}
              </title>
              <rect x={r1(x(i) - step / 2)} width={r1(step)} />
            </g>
          ))}
        </g>
      </svg>
      <p id={readout} class="readout small" aria-live="polite" />
      <span id="net-sales-after" />
    </figure>
  );
};

/**
 * Progressive enhancement: one tab stop for the chart (arrow keys, Home and End move between
 * days) and the hovered or focused day's values written under it. Without it every day is its
 * own tab stop and the <title> shows on hover.
 */
export const CHART_SCRIPT = `document.querySelectorAll('[data-chart-days]').forEach(function(svg){
var days=svg.querySelectorAll('[data-date]'),out=document.getElementById(svg.getAttribute('data-chart-days')),cur=0;
function show(d){out.textContent=d.querySelector('title').textContent}
days.forEach(function(d,i){d.setAttribute('tabindex',i===0?'0':'-1');
d.addEventListener('focus',function(){cur=i;show(d)});d.addEventListener('mouseenter',function(){show(d)})});
svg.addEventListener('keydown',function(e){var k={ArrowRight:1,ArrowLeft:-1,Home:-1e6,End:1e6}[e.key];if(k===undefined)return;
e.preventDefault();var n=Math.max(0,Math.min(days.length-1,cur+k));days[cur].setAttribute('tabindex','-1');days[n].setAttribute('tabindex','0');days[n].focus()})});`;
