/**
 * Every check's details as rows people read in one order — key, legacy, new, difference,
 * verdict — whatever shape the check stored them in. The difference of a row is always the signed
 * difference of that row's own legacy and new values, so a row never pairs a total with another
 * part's difference. Pure: the tables (check-tables.tsx) only draw what this returns.
 */
import type { ParityCheckResult } from '#shared/parity/comparison.ts';
import { signedDifference } from './format.ts';

export type Value = { money: number } | { count: number } | { text: string } | null;
export type Key = { text: string } | { product: number; text?: string };

export interface DetailRow {
  key: Key;
  legacy: Value;
  new: Value;
  /** Signed (new − legacy) / max(|legacy|, |new|); null when the values are not numbers. */
  difference: number | null;
  verdict: { class: 'pass' | 'fail' | 'error'; label: string };
  /** What the row's key does not say (members only on one side, ranks). */
  note?: string;
}

export interface DetailTable {
  id: string;
  caption: string;
  rows: DetailRow[];
  /** How many there are when the check kept only a sample. */
  total?: number;
  /** Shown folded (a <details>): the whole list behind a shorter one. */
  folded?: boolean;
}

type Details = Record<string, unknown>;
const list = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);
const num = (value: unknown): number | null => (typeof value === 'number' ? value : null);

const MONEY_COLUMNS = /sales|discounts|refunds$|amount|price|revenue/;

function cell(column: string, value: unknown): Value {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return MONEY_COLUMNS.test(column) ? { money: value } : { count: value };
  return { text: String(value) };
}

function numbers(legacy: Value, fresh: Value): number | null {
  const n = (v: Value) => (v === null ? null : 'money' in v ? v.money : 'count' in v ? v.count : undefined);
  const [a, b] = [n(legacy), n(fresh)];
  if (a === undefined || b === undefined) return null;
  return signedDifference(a, b);
}

function row(key: Key, legacy: Value, fresh: Value, verdict: DetailRow['verdict'], note?: string): DetailRow {
  return { key, legacy, new: fresh, difference: numbers(legacy, fresh), verdict, ...(note ? { note } : {}) };
}

const PASS = { class: 'pass', label: 'pass' } as const;
const FAIL = { class: 'fail', label: 'fail' } as const;
const verdictOf = (v: unknown): DetailRow['verdict'] =>
  v === 'pass' ? PASS : v === 'error' ? { class: 'error', label: 'error' } : FAIL;

interface DifferingKey {
  product_id: number;
  metric_date: string;
  difference: 'missing_on_legacy' | 'missing_on_new' | 'values';
  columns?: string[];
  legacy: Record<string, unknown> | null;
  new: Record<string, unknown> | null;
}

function datasetRowCount(d: Details): DetailTable[] {
  const columns = list<string>(d.row_columns).filter((c) => c !== 'product_id' && c !== 'metric_date');
  const rows = list<DifferingKey>(d.differing_keys).flatMap((k): DetailRow[] => {
    if (k.difference !== 'values') {
      const side = k.difference === 'missing_on_new' ? 'new' : 'legacy';
      const present = k.legacy ?? k.new ?? {};
      const v = cell('net_sales', present.net_sales);
      return [
        row(
          { product: k.product_id, text: `${k.metric_date} · whole row (net sales)` },
          side === 'legacy' ? null : v,
          side === 'new' ? null : v,
          { class: 'fail', label: `missing on ${side}` },
        ),
      ];
    }
    const differing = k.columns ?? columns.filter((c) => k.legacy?.[c] !== k.new?.[c]);
    return differing.map((c) =>
      row({ product: k.product_id, text: `${k.metric_date} · ${c}` }, cell(c, k.legacy?.[c]), cell(c, k.new?.[c]), {
        class: 'fail',
        label: 'values differ',
      }),
    );
  });
  return [
    {
      id: 'differing-keys',
      caption: `Mart rows that differ (product, day), found by comparing checksums of ${String(d.segments_compared ?? '?')} segments${d.differing_keys_truncated ? '; a sample, there are more' : ''}`,
      rows,
    },
  ];
}

function dailyNetSales(d: Details): DetailTable[] {
  const rows = list<{ date: string; legacy: number; new: number; verdict: string }>(d.days).map((day) =>
    row({ text: day.date }, { money: day.legacy }, { money: day.new }, verdictOf(day.verdict)),
  );
  const beyond = rows.filter((r) => r.verdict.class !== 'pass');
  return [
    { id: 'days-beyond', caption: 'Days beyond the tolerance', rows: beyond },
    { id: 'days', caption: 'Net sales on every day of the window', rows, folded: beyond.length > 0 },
  ];
}

interface Ranked {
  product_id: number;
  title: string | null;
  rank?: number;
  net_sales?: number;
  net_sales_on_new?: number;
  net_sales_on_legacy?: number;
  legacy_rank?: number;
  new_rank?: number;
  legacy_net_sales?: number;
  new_net_sales?: number;
}

function topProducts(d: Details): DetailTable[] {
  const limit = num(d.limit) ?? 100;
  const rows = [
    ...list<Ranked>(d.differing).map((p) =>
      row(
        { product: p.product_id, text: p.title ?? undefined },
        { money: p.legacy_net_sales ?? 0 },
        { money: p.new_net_sales ?? 0 },
        FAIL,
        `#${p.legacy_rank} on legacy, #${p.new_rank} on new`,
      ),
    ),
    ...list<Ranked>(d.only_legacy).map((p) =>
      row(
        { product: p.product_id, text: p.title ?? undefined },
        { money: p.net_sales ?? 0 },
        { money: p.net_sales_on_new ?? 0 },
        { class: 'fail', label: `not in the new top ${limit}` },
        `#${p.rank} on legacy`,
      ),
    ),
    ...list<Ranked>(d.only_new).map((p) =>
      row(
        { product: p.product_id, text: p.title ?? undefined },
        { money: p.net_sales_on_legacy ?? 0 },
        { money: p.net_sales ?? 0 },
        { class: 'fail', label: `not in the legacy top ${limit}` },
        `#${p.rank} on new`,
      ),
    ),
  ].sort((a, b) => Math.abs(b.difference ?? 0) - Math.abs(a.difference ?? 0));
  return [
    {
      id: 'products',
      caption: `Products of the top ${limit} by net sales that differ (${String(d.overlap ?? '?')} in both lists)`,
      rows,
    },
  ];
}

function classificationDistribution(d: Details): DetailTable[] {
  const buckets = list<{ bucket: string; legacy: number; new: number; verdict: string; missing_on: string | null }>(
    d.buckets,
  ).map((b) =>
    row(
      { text: b.bucket },
      b.missing_on === 'legacy' ? null : { count: b.legacy },
      b.missing_on === 'new' ? null : { count: b.new },
      verdictOf(b.verdict),
    ),
  );
  const products = list<{ product_id: number; legacy: string | null; new: string | null }>(d.differing_products).map(
    (p) =>
      row(
        { product: p.product_id },
        p.legacy === null ? null : { text: p.legacy },
        p.new === null ? null : { text: p.new },
        {
          class: 'fail',
          label: 'classified differently',
        },
      ),
  );
  return [
    { id: 'buckets', caption: 'Products per classification bucket', rows: buckets },
    {
      id: 'classified-differently',
      caption: 'Products classified differently',
      rows: products,
      total: num(d.differing_product_count) ?? products.length,
    },
  ];
}

function memberships(d: Details, noun: string): DetailTable[] {
  const bySource = list<{ source: string; legacy: number; new: number; verdict: string }>(d.by_source).map((s) =>
    row({ text: s.source }, { count: s.legacy }, { count: s.new }, verdictOf(s.verdict)),
  );
  const members = (ms: unknown) => list<{ member: string; source: string }>(ms).map((m) => `${m.member} (${m.source})`);
  const products = list<{
    product_id: number;
    legacy_count: number;
    new_count: number;
    only_legacy: unknown;
    only_new: unknown;
  }>(d.differing_products).map((p) => {
    const onlyLegacy = members(p.only_legacy);
    const onlyNew = members(p.only_new);
    const note = [
      onlyLegacy.length ? `only on legacy: ${onlyLegacy.join(', ')}` : '',
      onlyNew.length ? `only on new: ${onlyNew.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    return row(
      { product: p.product_id },
      { count: p.legacy_count },
      { count: p.new_count },
      { class: 'fail', label: `${noun}s differ` },
      note,
    );
  });
  return [
    { id: 'by-source', caption: 'Rows per source', rows: bySource },
    {
      id: 'differing-products',
      caption: `Products whose ${noun}s differ`,
      rows: products,
      total: num(d.differing_product_count) ?? products.length,
    },
  ];
}

export function detailTables(check: ParityCheckResult): DetailTable[] {
  const d = check.details as Details;
  switch (check.name) {
    case 'dataset_row_count':
      return datasetRowCount(d);
    case 'daily_net_sales':
      return dailyNetSales(d);
    case 'top_products':
      return topProducts(d);
    case 'classification_distribution':
      return classificationDistribution(d);
    case 'denotation_coverage':
      return memberships(d, 'asset');
    case 'tag_count':
      return memberships(d, 'tag');
    default:
      return [];
  }
}

/**
 * The one row a check is summed up by in the run's table: the values its verdict rests on, named
 * by the key — the worst day, the worst bucket, the worst product, or the counts.
 */
export function headlineRow(check: ParityCheckResult): DetailRow {
  const verdict = verdictOf(check.verdict);
  if (check.verdict === 'error') return row({ text: 'the check could not run' }, null, null, verdict);
  const d = check.details as Details;
  const worst = (rows: DetailRow[]) =>
    rows.reduce<DetailRow | undefined>(
      (w, r) => (w === undefined || Math.abs(r.difference ?? 0) > Math.abs(w.difference ?? 0) ? r : w),
      undefined,
    );
  const titled = (r: DetailRow | undefined, what: string): DetailRow | null =>
    r
      ? {
          ...r,
          key: { text: `${what} ${'product' in r.key ? (r.key.text ?? `product ${r.key.product}`) : r.key.text}` },
          verdict,
        }
      : null;
  let headline: DetailRow | null = null;
  switch (check.name) {
    case 'dataset_row_count':
      headline = row(
        { text: `mart rows through ${String(d.through_date ?? '—')}` },
        { count: num(check.legacy_value) ?? 0 },
        { count: num(check.new_value) ?? 0 },
        verdict,
      );
      break;
    case 'daily_net_sales':
      headline = titled(worst(dailyNetSales(d)[1]?.rows ?? []), 'net sales on the worst day,');
      break;
    case 'top_products':
      headline =
        titled(worst(topProducts(d)[0]?.rows ?? []), 'net sales of the worst product,') ??
        row(
          { text: `net sales of the top ${String(d.limit ?? '')}` },
          { money: num(check.legacy_value) ?? 0 },
          { money: num(check.new_value) ?? 0 },
          verdict,
        );
      break;
    case 'classification_distribution':
      headline = titled(worst(classificationDistribution(d)[0]?.rows ?? []), 'products in the worst bucket,');
      break;
    default:
      headline = row(
        { text: check.name === 'tag_count' ? 'tag classifications' : 'asset mappings' },
        { count: num(check.legacy_value) ?? 0 },
        { count: num(check.new_value) ?? 0 },
        verdict,
      );
  }
  return headline ?? row({ text: 'nothing to compare' }, null, null, verdict);
}
