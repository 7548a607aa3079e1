/**
 * The R2 archive of raw Shopify exports (information_bearing_entity, "IBEs").
 *
 * An export is stored as gzip JSONL made of independent gzip members ("segments"), each holding
 * whole lines (~4 MiB of JSONL). A gzip file may consist of several members, so the object is an
 * ordinary .jsonl.gz for any tool, and the segment index (stored offset and length, first line,
 * line count) lets a load step read exactly one segment with an R2 range read and decompress it
 * on its own: a multi-GB export loads in bounded steps and constant memory.
 *
 * Writing streams (archive-writer.ts), in bounded steps when the export is large: the source is
 * split on line boundaries, each segment is compressed with CompressionStream, the compressed bytes
 * go to R2 as a multipart upload in equal parts (R2 wants every part but the last the same size, at
 * least 5 MiB), or as one put when they fit one part. byte_count, line_count and sha256_digest
 * describe the JSONL as Shopify served it. Reading goes segment by segment (readArchivedLines).
 */
import { createGunzip } from 'node:zlib';
import type { Sql } from '#shared/db/types.ts';
import { freshRead } from '../db/fresh.ts';
import { iterateBytes, type JsonlRecord, readJsonlLines } from './jsonl-reader.ts';
import type { ResourceName } from './shopify-objects.ts';

export { archiveJsonl, PART_BYTES, SEGMENT_BYTES } from './archive-writer.ts';

/** [stored offset, stored bytes, first line number, line count] */
export type Segment = [number, number, number, number];

export interface ArchivedObject {
  objectKey: string;
  byteCount: number;
  lineCount: number;
  sha256: string;
  storedByteCount: number;
  segments: Segment[];
  /** False when the source ended inside a line (a truncated download). */
  endedWithNewline: boolean;
}

export interface InformationBearingEntity {
  information_bearing_entity_id: string;
  object_key: string;
  resource_name: ResourceName;
  byte_count: number;
  line_count: number;
  sha256_digest: string;
  stored_byte_count: number;
  segment_index: Segment[];
  procedure_execution_id: string | null;
  created_at: string;
}

/** `shopify/<resource>/<yyyy-mm-dd>/<execution id>-<label>.jsonl.gz` */
export function archiveKey(resource: ResourceName, executionId: string, label: string, at = new Date()): string {
  return `shopify/${resource}/${at.toISOString().slice(0, 10)}/${executionId}-${label}.jsonl.gz`;
}

/** Indexes an archived object; recording the same key again returns the existing row. */
export async function recordArchivedObject(
  sql: Sql,
  archived: ArchivedObject,
  input: { resource: ResourceName; procedureExecutionId: string | null },
): Promise<InformationBearingEntity> {
  await sql`
    insert into information_bearing_entity
      (object_key, source_system, resource_name, byte_count, line_count, sha256_digest, stored_byte_count,
       segment_index, procedure_execution_id)
    values (${archived.objectKey}, 'shopify', ${input.resource}, ${archived.byteCount}, ${archived.lineCount},
            ${archived.sha256}, ${archived.storedByteCount}, ${JSON.stringify(archived.segments)}::text::jsonb,
            ${input.procedureExecutionId})
    on conflict (object_key) do nothing`;
  const entity = await findArchivedObject(sql, { key: archived.objectKey });
  if (!entity) throw new Error(`information_bearing_entity for ${archived.objectKey} vanished`);
  return entity;
}

export async function findArchivedObject(
  sql: Sql,
  by: { id: string } | { key: string },
): Promise<InformationBearingEntity | null> {
  const [row] = await sql<InformationBearingEntity[]>`
    select information_bearing_entity_id, object_key, resource_name, byte_count::float8 as byte_count,
           line_count::float8 as line_count, sha256_digest, stored_byte_count::float8 as stored_byte_count,
           segment_index, procedure_execution_id, created_at::text as created_at
    from information_bearing_entity
    where ${'id' in by ? sql`information_bearing_entity_id = ${by.id}` : sql`object_key = ${by.key}`} and ${freshRead(sql)}`;
  return row ?? null;
}

/**
 * The segments of an archived object. An object written without an index (by another tool) is
 * one segment read whole (stored length 0 = the whole object); an empty export has none.
 */
export function segmentsOf(entity: InformationBearingEntity): Segment[] {
  if (entity.segment_index.length > 0) return entity.segment_index;
  if (entity.line_count === 0) return [];
  return [[0, 0, 1, entity.line_count]];
}

/**
 * One segment's JSONL bytes: an R2 range read of its one gzip member, decompressed. A whole object
 * (stored length 0: no index) may hold several members, and DecompressionStream stops with an error
 * at the end of the first one, so it goes through a gunzip that reads member after member.
 */
export async function readSegment(
  bucket: R2Bucket,
  key: string,
  segment: Segment,
): Promise<ReadableStream<Uint8Array>> {
  const [offset, length] = segment;
  const object = await bucket.get(key, length > 0 ? { range: { offset, length } } : {});
  if (!object) throw new Error(`archived object ${key} is missing from R2`);
  if (length > 0) return object.body.pipeThrough(new DecompressionStream('gzip'));
  return streamOf(gunzipMembers(object.body));
}

/**
 * Every line of an archived object, segment by segment (one gzip member each): the one way an
 * archived object is read back whole. Lines are numbered as in the export.
 */
export async function* readArchivedLines(
  bucket: R2Bucket,
  key: string,
  segments: Segment[],
): AsyncGenerator<JsonlRecord> {
  for (const segment of segments) {
    yield* readJsonlLines(await readSegment(bucket, key, segment), { firstLineNumber: segment[2] });
  }
}

/** Decompresses every gzip member of `source` in turn (node:zlib's gunzip goes on after a member ends). */
async function* gunzipMembers(source: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const gunzip = createGunzip();
  const feeding = (async () => {
    for await (const chunk of iterateBytes(source)) {
      if (!gunzip.write(chunk)) await new Promise<void>((resolve) => gunzip.once('drain', () => resolve()));
    }
    gunzip.end();
  })().catch((error: unknown) => {
    gunzip.destroy(error instanceof Error ? error : new Error(String(error)));
  });
  try {
    for await (const chunk of gunzip) yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  } finally {
    gunzip.destroy();
    await feeding;
  }
}

function streamOf(chunks: AsyncGenerator<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await chunks.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}
