/**
 * The loader: Shopify export lines → the raw tables, with exactly the semantics of the legacy
 * `ingest_product`, `ingest_order` and `delete_product` (test/fixtures/legacy-schema.sql), but
 * set-based and in bounded steps.
 *
 * A load has two halves, because with groupObjects false a child line may come before or after
 * its parent anywhere in a file of gigabytes:
 *   1. stream: every line is parsed and validated in batches of a few thousand; bad lines go to
 *      quarantined_line with their line number and reason. Orders, refunds and deletions, whose
 *      rows are upserted and never replaced as a family, are written at once (one transaction a
 *      batch, its statements pipelined); an order line whose order is not loaded yet waits in
 *      ingest_staged_object. Products are staged whole: a product's variants, images and tags
 *      replace the Shopify-owned ones, so it waits until the file has been read. Running a batch
 *      again (a killed step) writes the same rows: upserts, and (load_key, line_number) keys the
 *      staged ones.
 *   2. resolve, once the whole file has been read: staged families in batches of ids, each batch
 *      one transaction of a few set-based statements; then staged children whose parent never
 *      appeared are quarantined, and the staged rows deleted.
 * Both halves are resumable: `resolveNextBatch` takes and returns a serialisable LoadProgress.
 *
 * Legacy semantics kept (per parent): variants, Shopify images (denotation_relation source
 * 'shopify') and Shopify tags (tag_content_entity source 'shopify') that are no longer in Shopify
 * are removed, manual rows are never touched; status lower-cased; blank vendor / product type /
 * sku → null; tags split on commas, trimmed, lower-cased, de-duplicated and sorted; a product that
 * comes back loses its tombstone; order lines are upserted, never deleted; deletions set
 * deleted_at once (to the event's time, so a replay gives the same value).
 *
 * The code is in ./load/: stream.ts and lines.ts (the stream half), orders.ts, refunds.ts and
 * deletions.ts (the streamed writers), resolve.ts and products.ts (the resolve half), quarantine.ts,
 * rows.ts (batch rows, the staging table), types.ts, whole-load.ts (one-go loads).
 */
export { readPasses } from './load/lines.ts';
export { resolveAll, resolveNextBatch } from './load/resolve.ts';
export { streamRecords } from './load/stream.ts';
export {
  emptyCounts,
  LINE_WINDOW,
  LOAD_LANES,
  type LoadCounts,
  type LoadProgress,
  type LoadSummary,
  type LoadTarget,
  RESOLVE_BATCH_PARENTS,
  type ReadPass,
  STREAM_BATCH_LINES,
  startProgress,
  summarize,
} from './load/types.ts';
export { loadJsonlLines, loadJsonlRecords, loadJsonlSource } from './load/whole-load.ts';
