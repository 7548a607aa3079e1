/** The loader's shapes: where lines come from, what a load counted, and how far its resolve half got. */
import type postgres from 'postgres';
import type { Sql, Tx } from '#shared/db/types.ts';
import type { TouchedKeys } from '../../marts/performance-dataset.ts';
import type { ObjectType, ResourceName } from '../shopify-objects.ts';

/** Where the lines come from, for the staged rows and the quarantine. */
export interface LoadTarget {
  /** One key per load of one file: staged rows and quarantined lines are grouped by it. */
  loadKey: string;
  resource: ResourceName;
  procedureExecutionId?: string | null;
  informationBearingEntityId?: string | null;
}

export interface LoadCounts {
  /** Non-blank lines read. */
  linesRead: number;
  /** Lines accepted: valid objects of the types this resource loads (written, or staged until their family is read). */
  accepted: number;
  /** Lines of types the loader does not consume (Metafield, …): skipped by design. */
  ignored: number;
  /** Lines in quarantined_line (bad at staging, or unresolvable at the end). */
  quarantined: number;
  /** Rows inserted or updated per raw table, tombstones included under material_artifact_tombstone. */
  upserted: Record<string, number>;
  /** Orders whose (product, day) keys were recorded for the incremental mart refresh. */
  touchedOrders: number;
}

export interface LoadProgress {
  phase: 'resolve' | 'orphans' | 'cleanup' | 'done';
  /** resolve: the last parent id done. */
  afterObjectId: string | null;
  /** orphans / cleanup: the last line number done. */
  afterLineNumber: number;
  counts: LoadCounts;
}

export interface LoadSummary extends LoadCounts {
  loadKey: string;
  resource: ResourceName;
  /** Σ upserted: the rows this load wrote. */
  rowsUpserted: number;
}

export const STREAM_BATCH_LINES = 5000;
/** Connections a stream writes its batches on at once (the Workers pool has 5). */
export const LOAD_LANES = 2;
export const RESOLVE_BATCH_PARENTS = 1000;
/** Line-number window for the orphan check and the cleanup (each window one bounded statement). */
export const LINE_WINDOW = 100_000;

export function emptyCounts(): LoadCounts {
  return { linesRead: 0, accepted: 0, ignored: 0, quarantined: 0, upserted: {}, touchedOrders: 0 };
}

export function startProgress(counts: LoadCounts = emptyCounts()): LoadProgress {
  return { phase: 'resolve', afterObjectId: null, afterLineNumber: 0, counts };
}

export interface StagedRow {
  line_number: number;
  object_type: string;
  object_id: string;
  parent_object_id: string | null;
  /** The validated payload as JSON text: serialised once, checked for what Postgres cannot store, sent as is. */
  payload: string;
  /** The same payload as the object it was serialised from, when the row was read from a line in this process. */
  fields?: Record<string, unknown>;
}

export interface QuarantineRow {
  line_number: number;
  reason: string;
  excerpt: string;
}

/**
 * Which lines a read of the file takes. A resource whose children are written as they stream
 * (orders) reads its file twice when it can: 'parents' first, then 'children', so every child
 * finds its parent written whatever the order of the lines, and nothing is staged. A source read
 * once ('all') stages the children whose parent has not come yet.
 */
export type ReadPass = 'all' | 'parents' | 'children';

/** Staged rows of one load, in ranges of `rangeColumn` (ids in (after, upto]) of staged `rangeType` rows. */
export interface IdRange {
  loadKey: string;
  after: string;
  upto: string;
}

export interface StagedFamily {
  /** The staged rows whose ids, in ranges, make the resolve batches. */
  rangeType: ObjectType;
  rangeColumn: 'object_id' | 'parent_object_id';
  resolve: (tx: Tx, target: LoadTarget, range: IdRange, counts: LoadCounts, touch: TouchedKeys) => Promise<void>;
  /** Whether a staged child `c`'s parent is there to attach to: else it is quarantined at the end. */
  parentPresent: (sql: Sql) => postgres.PendingQuery<postgres.Row[]>;
  orphanReason: string;
}

export const UNIQUE_VIOLATION = '23505';
export const FOREIGN_KEY_VIOLATION = '23503';

export function add(counts: LoadCounts, table: string, n: number) {
  counts.upserted[table] = (counts.upserted[table] ?? 0) + n;
}

export function summarize(target: LoadTarget, counts: LoadCounts): LoadSummary {
  const rowsUpserted = Object.values(counts.upserted).reduce((sum, n) => sum + n, 0);
  return { loadKey: target.loadKey, resource: target.resource, rowsUpserted, ...counts };
}
