/**
 * Console pages rendered from fixtures (no database): a parity run over a window of any length
 * with one day's new net sales inflated 30%, a gate with standard, ad hoc and ignored runs, and a
 * sync tree with a load part-way through its archived object. For the Chromium tests of the
 * pages' drawing, sizes and empty states.
 */
import { moneyFormat } from '../../workers/dashboard-api/src/routes/console/components/format.ts';
import type {
  GateView,
  RunView,
  SelectedRun,
} from '../../workers/dashboard-api/src/routes/console/components/views.ts';
import { ConsolePage, type ConsoleProps } from '../../workers/dashboard-api/src/routes/console/console.page.tsx';
import { SyncsPage, type SyncsProps } from '../../workers/dashboard-api/src/routes/console/syncs.page.tsx';
import type { ParityCheckResult } from '../../workers/shared/parity/comparison.ts';
import type { ExecutionNode } from '../../workers/shared/procedures/execution-tree.ts';
import { addDays } from '../../workers/shared/shop-calendar.ts';

export const NOW = Date.parse('2026-12-07T09:00:00.000Z');
const hoursAgo = (h: number) => new Date(NOW - h * 3_600_000).toISOString();
const VIEWER = { name: 'staff@example.com', role: 'staff' };

/** Deterministic daily net sales: a weekly rhythm plus a trend, some quiet days. */
function sales(i: number): number {
  if (i % 17 === 5) return 0;
  return Math.round((900 + 400 * Math.sin(i / 1.1) + i * 1.7 + ((i * 7919) % 300)) * 100) / 100;
}

export function dailyDays(to: string, days: number, inflated: string | null) {
  const from = addDays(to, -(days - 1));
  return Array.from({ length: days }, (_, i) => {
    const date = addDays(from, i);
    const legacy = sales(i);
    const fresh = date === inflated ? Math.round(legacy * 1.3 * 100) / 100 : legacy;
    const diff = Math.max(legacy, fresh) === 0 ? 0 : Math.abs(fresh - legacy) / Math.max(legacy, fresh);
    return {
      date,
      legacy,
      new: fresh,
      difference: Math.round(diff * 1e6) / 1e6,
      verdict: diff < 0.01 ? 'pass' : 'fail',
    };
  });
}

function checks(days: ReturnType<typeof dailyDays>): ParityCheckResult[] {
  const failing = days.filter((d) => d.verdict !== 'pass');
  const total = (side: 'legacy' | 'new') => Math.round(days.reduce((s, d) => s + d[side], 0) * 100) / 100;
  const product = (id: number, title: string, rank: number, net: number) => ({
    product_id: id,
    title,
    rank,
    net_sales: net,
  });
  return [
    {
      name: 'dataset_row_count',
      legacy_value: 5210,
      new_value: 5208,
      difference: 0.000384,
      tolerance: 0.01,
      verdict: 'pass',
      details: {
        summary: '5210 legacy rows vs 5208 new rows through 2026-12-05; differing keys: 2 missing on new',
        through_date: days.at(-1)?.date,
        row_columns: ['product_id', 'metric_date', 'orders_count', 'units_sold', 'net_sales'],
        differing_keys: [
          {
            product_id: 8000000001,
            metric_date: '2026-11-02',
            difference: 'missing_on_new',
            legacy: { orders_count: 2, units_sold: 3, net_sales: 59.9 },
            new: null,
          },
          {
            product_id: 8000000002,
            metric_date: '2026-11-03',
            difference: 'values',
            columns: ['net_sales'],
            legacy: { orders_count: 1, units_sold: 1, net_sales: 20 },
            new: { orders_count: 1, units_sold: 1, net_sales: 26 },
          },
        ],
        segments_compared: 258,
      },
    },
    {
      name: 'daily_net_sales',
      legacy_value: total('legacy'),
      new_value: total('new'),
      difference: Math.max(...days.map((d) => d.difference)),
      tolerance: 0.01,
      verdict: failing.length > 0 ? 'fail' : 'pass',
      details: { summary: `${failing.length} of ${days.length} days differ`, days },
    },
    {
      name: 'top_products',
      legacy_value: 10450.5,
      new_value: 10463.5,
      difference: 1,
      tolerance: 0.01,
      verdict: 'fail',
      details: {
        summary: '1 of the legacy top 100 missing from the new one',
        limit: 100,
        overlap: 99,
        only_legacy: [{ ...product(8000000003, 'Linen apron, sand', 100, 41.5), net_sales_on_new: 0 }],
        only_new: [],
        differing: [
          {
            product_id: 8000000004,
            title: 'Stoneware mug',
            legacy_rank: 3,
            new_rank: 2,
            legacy_net_sales: 812.4,
            new_net_sales: 867.4,
            difference: 0.063408,
          },
        ],
      },
    },
    {
      name: 'classification_distribution',
      legacy_value: { A: 10, B: 20, C: 30, NEW: 4, DORMANT: 6 },
      new_value: { A: 10, B: 20, C: 30, NEW: 4, DORMANT: 6 },
      difference: 0,
      tolerance: 0.01,
      verdict: 'pass',
      details: {
        summary: 'every bucket within the tolerance',
        buckets: ['A', 'B', 'C', 'NEW', 'DORMANT'].map((bucket, i) => ({
          bucket,
          legacy: [10, 20, 30, 4, 6][i],
          new: [10, 20, 30, 4, 6][i],
          missing_on: null,
          difference: 0,
          verdict: 'pass',
        })),
        differing_products: [],
        differing_product_count: 0,
      },
    },
    {
      name: 'tag_count',
      legacy_value: 120,
      new_value: 120,
      difference: 0,
      tolerance: 0.01,
      verdict: 'pass',
      details: {
        summary: '120 legacy tag classifications vs 120 new',
        by_source: [{ source: 'shopify', legacy: 120, new: 120, difference: 0, verdict: 'pass' }],
        differing_products: [],
      },
    },
  ] as ParityCheckResult[];
}

function run(id: string, h: number, verdict: 'pass' | 'fail' | 'error', standard: boolean): RunView {
  return {
    id,
    status: verdict === 'error' ? 'failed' : 'succeeded',
    trigger_source: standard ? 'cron:30 6 * * *' : 'api:staff@example.com',
    requested_at: hoursAgo(h),
    started_at: hoursAgo(h),
    finished_at: hoursAgo(h - 0.01),
    error: null,
    verdict,
    window: { from: '2026-11-06', to: '2026-12-05', through: '2026-12-05' },
    watermark_at: hoursAgo(h + 1),
    legacy_synced_at: hoursAgo(h + 1),
    new_synced_at: hoursAgo(h + 1),
    checks: [],
    standard,
  };
}

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

export function consoleProps(options: { windowDays: number; inflated: boolean }): ConsoleProps {
  const runs = [
    run(id(1), 2, 'fail', true),
    run(id(2), 5, 'pass', false),
    run(id(3), 26, 'pass', true),
    run(id(4), 40, 'error', false),
    run(id(5), 50, 'pass', true),
  ];
  const days = dailyDays('2026-12-05', options.windowDays, options.inflated ? '2026-11-20' : null);
  const selectedChecks = checks(days);
  const selected: SelectedRun = {
    ...(runs[0] as RunView),
    window: { from: days[0]?.date ?? '', to: '2026-12-05', through: '2026-12-05' },
    verdict: selectedChecks.some((c) => c.verdict !== 'pass') ? 'fail' : 'pass',
    checks: selectedChecks,
  };
  const gate: GateView = {
    state: 'closed',
    reason: `the latest run failed (daily_net_sales, top_products); the gate needs 3 passing runs spanning at least 24 h`,
    required_runs: 3,
    minimum_span_hours: 24,
    runs: [
      { id: id(1), verdict: 'fail', started_at: hoursAgo(2), failing_checks: ['daily_net_sales', 'top_products'] },
    ],
    span_hours: 0,
    evaluated_at: new Date(NOW).toISOString(),
    ignored_runs: [
      { id: id(2), started_at: hoursAgo(5), verdict: 'pass', standard: false, reason: 'ad hoc: a 7-day window' },
      { id: id(4), started_at: hoursAgo(40), verdict: 'error', standard: false, reason: 'ad hoc: tolerance 5%' },
    ],
  };
  return {
    gate,
    runs,
    selected,
    viewer: VIEWER,
    canTrigger: true,
    notice: null,
    currency: 'EUR',
    context: {
      money: moneyFormat('EUR'),
      titles: new Map([
        [8000000001, 'Wool throw, charcoal'],
        [8000000002, 'Oak serving board'],
      ]),
      pageOf: () => 1,
      hrefFor: (param, page) => `/console?run=${id(1)}&${param}=${page}#${param}`,
    },
  };
}

export function emptyConsoleProps(): ConsoleProps {
  return {
    gate: {
      state: 'closed',
      reason: 'no parity run yet; the gate needs 3 passing runs spanning at least 24 h',
      required_runs: 3,
      minimum_span_hours: 24,
      runs: [],
      span_hours: 0,
      evaluated_at: new Date(NOW).toISOString(),
    },
    runs: [],
    selected: null,
    viewer: { name: 'viewer@example.com', role: 'viewer' },
    canTrigger: false,
    notice: null,
    currency: 'USD',
    context: { money: moneyFormat('USD'), titles: new Map(), pageOf: () => 1, hrefFor: () => '/console' },
  };
}

function node(partial: Partial<ExecutionNode> & Pick<ExecutionNode, 'id' | 'kind' | 'status'>): ExecutionNode {
  return {
    trigger_source: 'cron:*/15 * * * *',
    phase: partial.status === 'succeeded' ? 'done' : partial.status,
    rows_processed: 0,
    attempts: 1,
    requested_at: hoursAgo(0.2),
    started_at: hoursAgo(0.2),
    finished_at: null,
    heartbeat_at: hoursAgo(0.002),
    elapsed_seconds: 720,
    error: null,
    archive: null,
    extra: {},
    children: [],
    ...partial,
  };
}

export function syncsProps(options: { empty?: boolean } = {}): SyncsProps {
  const roots: ExecutionNode[] = options.empty
    ? []
    : [
        node({
          id: id(11),
          kind: 'full',
          status: 'waiting',
          phase: 'orders',
          rows_processed: 1480,
          children: [
            node({
              id: id(12),
              kind: 'products',
              status: 'succeeded',
              rows_processed: 1480,
              elapsed_seconds: 95,
              finished_at: hoursAgo(0.15),
            }),
            node({
              id: id(13),
              kind: 'orders',
              status: 'waiting',
              phase: 'load',
              rows_processed: 0,
              children: [
                node({
                  id: id(14),
                  kind: 'load',
                  status: 'running',
                  phase: 'reading segment 3 of 5',
                  rows_processed: 23_950,
                  archive: {
                    object_key: 'orders/2026/12/07/00000000-orders.jsonl.gz',
                    bytes_read: 12_582_912,
                    bytes_total: 20_971_520,
                  },
                }),
              ],
            }),
          ],
        }),
        node({
          id: id(15),
          kind: 'orders',
          status: 'failed',
          phase: 'poll',
          trigger_source: 'api:staff@example.com',
          requested_at: hoursAgo(3),
          started_at: hoursAgo(3),
          finished_at: hoursAgo(2.9),
          elapsed_seconds: 340,
          error: 'ShopifyError: bulk operation FAILED (ACCESS_DENIED): the app lacks read_orders',
        }),
        node({
          id: id(16),
          kind: 'parity_check',
          status: 'succeeded',
          requested_at: hoursAgo(5),
          finished_at: hoursAgo(4.99),
          elapsed_seconds: 31,
        }),
      ];
  return {
    roots,
    viewer: VIEWER,
    canTrigger: true,
    notice: null,
    now: NOW,
    syncKinds: ['products', 'orders', 'marts', 'full'],
  };
}

export const renderConsole = (props: ConsoleProps) => String(ConsolePage(props));
export const renderSyncs = (props: SyncsProps) => String(SyncsPage(props));
