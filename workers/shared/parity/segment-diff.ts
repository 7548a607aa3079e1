/**
 * Where do two copies of the performance mart differ? data-diff style bisection over the key
 * (product, day): both databases checksum the same key-range segments in SQL, only segments whose
 * row count or checksum differ are split further, and once a differing segment is small its rows
 * are fetched from both sides and compared key by key. The work follows the differences, not the
 * table size, and is bounded (sample size, segments followed per level, levels).
 *
 * A segment is a product id range × a day range, both inclusive. It is split on products until it
 * holds one product, then on days. A row's checksum is the first 60 bits of the md5 of its mapped
 * columns as text (identical on both sides for equal rows); a segment's is their sum.
 */
import { freshRead } from '../db/fresh.ts';
import type { Side } from './sides.ts';

const TABLE = 'mart_performance_metrics';

export interface SegmentDiffOptions {
  /** Compare rows with a day up to this one (inclusive). */
  throughDate: string;
  /** Differing keys to return at most. */
  sampleLimit?: number;
  /** A differing segment with at most this many rows (on the larger side) is compared row by row. */
  leafRows?: number;
  /** Parts a differing segment is split into. */
  fanOut?: number;
  /** Segments of the first level (one pass over the table per side). */
  firstLevelParts?: number;
  /** Differing segments followed per level; the rest are counted, not explored. */
  maxSegmentsPerLevel?: number;
  maxLevels?: number;
}

/** A mart row in legacy column names (values as the databases render them, numbers converted). */
export type MartRow = Record<string, string | number | null>;

export interface DifferingKey {
  product_id: number;
  metric_date: string;
  /** Which side lacks the row, or 'values' when both have it with different values. */
  difference: 'missing_on_legacy' | 'missing_on_new' | 'values';
  /** Columns whose values differ (for 'values'). */
  columns?: string[];
  legacy: MartRow | null;
  new: MartRow | null;
}

export interface SegmentDiffResult {
  identical: boolean;
  /** Rows compared on each side (through `throughDate`). */
  legacyRows: number;
  newRows: number;
  sample: DifferingKey[];
  /** True when there are more differences than the sample shows (or segments were not followed). */
  truncated: boolean;
  /** Checksum queries issued per side (levels of the bisection, plus the whole-table one). */
  levels: number;
  segmentsCompared: number;
}

interface Segment {
  pLo: bigint;
  pHi: bigint;
  dLo: number; // epoch day
  dHi: number;
}

interface SegmentSummary {
  i: number;
  row_count: number;
  checksum: string;
}

const MS_PER_DAY = 86_400_000;
const toEpochDay = (date: string) => Math.round(Date.parse(`${date}T00:00:00Z`) / MS_PER_DAY);
const fromEpochDay = (day: number) => new Date(day * MS_PER_DAY).toISOString().slice(0, 10);

function segmentsJson(segments: readonly Segment[]): string {
  return JSON.stringify(
    segments.map((s, i) => ({
      i,
      p_lo: s.pLo.toString(),
      p_hi: s.pHi.toString(),
      d_lo: fromEpochDay(s.dLo),
      d_hi: fromEpochDay(s.dHi),
    })),
  );
}

/** Splits a range [lo, hi] into at most `parts` contiguous, non-empty ranges. */
function splitRange(lo: bigint, hi: bigint, parts: number): [bigint, bigint][] {
  const width = hi - lo + 1n;
  const count = width < BigInt(parts) ? width : BigInt(parts);
  const step = (width + count - 1n) / count;
  const ranges: [bigint, bigint][] = [];
  for (let start = lo; start <= hi; start += step) {
    const end = start + step - 1n;
    ranges.push([start, end < hi ? end : hi]);
  }
  return ranges;
}

function splitSegment(segment: Segment, parts: number): Segment[] {
  if (segment.pLo < segment.pHi) {
    return splitRange(segment.pLo, segment.pHi, parts).map(([pLo, pHi]) => ({ ...segment, pLo, pHi }));
  }
  if (segment.dLo < segment.dHi) {
    return splitRange(BigInt(segment.dLo), BigInt(segment.dHi), parts).map(([dLo, dHi]) => ({
      ...segment,
      dLo: Number(dLo),
      dHi: Number(dHi),
    }));
  }
  return [];
}

async function summarize(side: Side, segments: readonly Segment[]): Promise<Map<number, SegmentSummary>> {
  const product = side.column(TABLE, 'product_id');
  const day = side.column(TABLE, 'metric_date');
  const rows = await side.sql<SegmentSummary[]>`
    with segment as (
      select * from jsonb_to_recordset(${segmentsJson(segments)}::text::jsonb)
        as s(i int, p_lo bigint, p_hi bigint, d_lo date, d_hi date)
    )
    select s.i, count(m.${product})::int as row_count,
           coalesce(sum(('x' || substr(md5(${side.sql.unsafe(side.rowText(TABLE, 'm'))}), 1, 15))::bit(60)::bigint), 0)::text
             as checksum
    from segment s
    left join ${side.table(TABLE)} m
      on m.${product} between s.p_lo and s.p_hi and m.${day} between s.d_lo and s.d_hi
    where ${freshRead(side.sql)}
    group by s.i`;
  return new Map(rows.map((r) => [r.i, r]));
}

async function fetchRows(side: Side, segments: readonly Segment[]): Promise<MartRow[]> {
  if (segments.length === 0) return [];
  const product = side.column(TABLE, 'product_id');
  const day = side.column(TABLE, 'metric_date');
  const rows = await side.sql<Record<string, string | null>[]>`
    with segment as (
      select * from jsonb_to_recordset(${segmentsJson(segments)}::text::jsonb)
        as s(i int, p_lo bigint, p_hi bigint, d_lo date, d_hi date)
    )
    select ${side.sql.unsafe(side.mappedColumnsAsText(TABLE, 'm'))}
    from segment s
    join ${side.table(TABLE)} m
      on m.${product} between s.p_lo and s.p_hi and m.${day} between s.d_lo and s.d_hi
    where ${freshRead(side.sql)}`;
  return rows.map((row) => {
    const typed: MartRow = {};
    for (const [column, value] of Object.entries(row)) {
      typed[column] = column === 'metric_date' || value === null ? value : Number(value);
    }
    return typed;
  });
}

const byBigInt = (x: bigint, y: bigint) => (x < y ? -1 : x > y ? 1 : 0);

const keyOf = (row: MartRow) => `${row.product_id}|${row.metric_date}`;

function compareRows(legacyRows: MartRow[], newRows: MartRow[]): DifferingKey[] {
  const legacyByKey = new Map(legacyRows.map((r) => [keyOf(r), r]));
  const newByKey = new Map(newRows.map((r) => [keyOf(r), r]));
  const keys = [...new Set([...legacyByKey.keys(), ...newByKey.keys()])].sort();
  const differing: DifferingKey[] = [];
  for (const key of keys) {
    const a = legacyByKey.get(key) ?? null;
    const b = newByKey.get(key) ?? null;
    const row = (a ?? b) as MartRow;
    const base = { product_id: Number(row.product_id), metric_date: String(row.metric_date), legacy: a, new: b };
    if (!a) differing.push({ ...base, difference: 'missing_on_legacy' });
    else if (!b) differing.push({ ...base, difference: 'missing_on_new' });
    else {
      const columns = Object.keys(a).filter((c) => a[c] !== b[c]);
      if (columns.length > 0) differing.push({ ...base, difference: 'values', columns });
    }
  }
  return differing;
}

interface Bounds {
  p_min: string | null;
  p_max: string | null;
  d_min: string | null;
  d_max: string | null;
}

/** The key range of the rows compared (cheap: both ends of the primary key and date indexes). */
async function bounds(side: Side, throughDate: string): Promise<Bounds> {
  const product = side.column(TABLE, 'product_id');
  const day = side.column(TABLE, 'metric_date');
  const table = side.table(TABLE);
  const [row] = await side.sql<Bounds[]>`
    select (select min(${product}) from ${table} where ${day} <= ${throughDate}::text::date)::text as p_min,
           (select max(${product}) from ${table} where ${day} <= ${throughDate}::text::date)::text as p_max,
           (select min(${day}) from ${table})::text as d_min,
           (select max(${day}) from ${table} where ${day} <= ${throughDate}::text::date)::text as d_max
    where ${freshRead(side.sql)}`;
  return row as Bounds;
}

/**
 * The first level in one pass over the table per side: `parts` segments of equal product-id width
 * over the whole key range, each with its row count and checksum (a scan grouped by segment number,
 * not one index range per segment). Their counts add up to the table's row count.
 */
async function firstLevel(
  side: Side,
  root: Segment,
  parts: number,
  throughDate: string,
): Promise<Map<number, SegmentSummary>> {
  const product = side.column(TABLE, 'product_id');
  const day = side.column(TABLE, 'metric_date');
  const width = root.pHi - root.pLo + 1n;
  const rows = await side.sql<SegmentSummary[]>`
    select floor((m.${product} - ${root.pLo.toString()}::bigint)::numeric * ${parts} / ${width.toString()}::numeric)::int as i,
           count(*)::int as row_count,
           sum(('x' || substr(md5(${side.sql.unsafe(side.rowText(TABLE, 'm'))}), 1, 15))::bit(60)::bigint)::text as checksum
    from ${side.table(TABLE)} m
    where m.${day} <= ${throughDate}::text::date and ${freshRead(side.sql)}
    group by 1`;
  return new Map(rows.map((r) => [r.i, r]));
}

/** The segments `firstLevel` numbers: segment i holds the ids p with ⌊(p − lo)·parts / width⌋ = i. */
function firstLevelSegments(root: Segment, parts: number): Segment[] {
  const width = root.pHi - root.pLo + 1n;
  const count = width < BigInt(parts) ? Number(width) : parts;
  const start = (i: number) => root.pLo + (BigInt(i) * width + BigInt(count) - 1n) / BigInt(count);
  return Array.from({ length: count }, (_, i) => ({ ...root, pLo: start(i), pHi: start(i + 1) - 1n }));
}

export async function diffPerformanceMart(
  legacy: Side,
  fresh: Side,
  options: SegmentDiffOptions,
): Promise<SegmentDiffResult> {
  const sampleLimit = options.sampleLimit ?? 20;
  const leafRows = options.leafRows ?? 200;
  const fanOut = options.fanOut ?? 32;
  const firstLevelParts = options.firstLevelParts ?? 256;
  const maxSegmentsPerLevel = options.maxSegmentsPerLevel ?? 16;
  const maxLevels = options.maxLevels ?? 24;

  const [a, b] = await Promise.all([bounds(legacy, options.throughDate), bounds(fresh, options.throughDate)]);
  const mins = [a.p_min, b.p_min].filter((v): v is string => v !== null).map(BigInt);
  const maxs = [a.p_max, b.p_max].filter((v): v is string => v !== null).map(BigInt);
  const dMins = [a.d_min, b.d_min].filter((v): v is string => v !== null).map(toEpochDay);
  const dMaxs = [a.d_max, b.d_max].filter((v): v is string => v !== null).map(toEpochDay);
  const result: SegmentDiffResult = {
    identical: true,
    legacyRows: 0,
    newRows: 0,
    sample: [],
    truncated: false,
    levels: 0,
    segmentsCompared: 0,
  };
  // No rows on either side.
  if (mins.length === 0 || dMins.length === 0) return result;
  // Segments must cover the rows of both sides: their union's key range.
  const root: Segment = {
    pLo: mins.sort(byBigInt)[0] ?? 0n,
    pHi: maxs.sort(byBigInt).at(-1) ?? 0n,
    dLo: Math.min(...dMins),
    dHi: Math.max(...dMaxs),
  };
  const segments = firstLevelSegments(root, firstLevelParts);
  const [left, right] = await Promise.all([
    firstLevel(legacy, root, segments.length, options.throughDate),
    firstLevel(fresh, root, segments.length, options.throughDate),
  ]);
  result.levels = 1;
  result.segmentsCompared = segments.length;
  for (const x of left.values()) result.legacyRows += x.row_count;
  for (const y of right.values()) result.newRows += y.row_count;
  const differing: { segment: Segment; rows: number }[] = [];
  segments.forEach((segment, i) => {
    const x = left.get(i);
    const y = right.get(i);
    if (x?.row_count !== y?.row_count || x?.checksum !== y?.checksum) {
      differing.push({ segment, rows: Math.max(x?.row_count ?? 0, y?.row_count ?? 0) });
    }
  });
  result.identical = differing.length === 0;
  if (result.identical) return result;
  if (differing.length > maxSegmentsPerLevel) result.truncated = true;
  let frontier = differing.slice(0, maxSegmentsPerLevel).map((d) => d.segment);
  let frontierRows = differing.slice(0, maxSegmentsPerLevel).map((d) => d.rows);

  while (frontier.length > 0 && result.sample.length < sampleLimit) {
    const leaves: Segment[] = [];
    const toSplit: Segment[] = [];
    frontier.forEach((segment, i) => {
      const rows = frontierRows[i] ?? 0;
      const splittable = segment.pLo < segment.pHi || segment.dLo < segment.dHi;
      if (rows <= leafRows || !splittable || result.levels >= maxLevels) leaves.push(segment);
      else toSplit.push(segment);
    });

    if (leaves.length > 0) {
      const [legacyRows, newRows] = await Promise.all([fetchRows(legacy, leaves), fetchRows(fresh, leaves)]);
      for (const key of compareRows(legacyRows, newRows)) {
        if (result.sample.length >= sampleLimit) {
          result.truncated = true;
          break;
        }
        result.sample.push(key);
      }
    }
    if (toSplit.length === 0 || result.sample.length >= sampleLimit) {
      if (toSplit.length > 0) result.truncated = true;
      break;
    }

    const children = toSplit.flatMap((segment) => splitSegment(segment, fanOut));
    const [left, right] = await Promise.all([summarize(legacy, children), summarize(fresh, children)]);
    result.levels += 1;
    result.segmentsCompared += children.length;
    const differing: { segment: Segment; rows: number }[] = [];
    children.forEach((segment, i) => {
      const x = left.get(i);
      const y = right.get(i);
      if (x?.row_count !== y?.row_count || x?.checksum !== y?.checksum) {
        differing.push({ segment, rows: Math.max(x?.row_count ?? 0, y?.row_count ?? 0) });
      }
    });
    if (differing.length > maxSegmentsPerLevel) result.truncated = true;
    const followed = differing.slice(0, maxSegmentsPerLevel);
    frontier = followed.map((d) => d.segment);
    frontierRows = followed.map((d) => d.rows);
  }
  return result;
}
