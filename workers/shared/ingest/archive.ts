/**
 * The R2 archive of raw Shopify exports (information_bearing_entity, "IBEs").
 *
 * An export is stored as gzip JSONL made of independent gzip members ("segments"), each holding
 * whole lines (~4 MiB of JSONL). A gzip file may consist of several members, so the object is an
 * ordinary .jsonl.gz for any tool, and the segment index (stored offset and length, first line,
 * line count) lets a load step read exactly one segment with an R2 range read and decompress it
 * on its own: a multi-GB export loads in bounded steps and constant memory.
 *
 * Writing streams: the source is split on line boundaries, each segment is compressed with
 * CompressionStream, the compressed bytes go to R2 as a multipart upload in equal parts (R2 wants
 * every part but the last the same size, at least 5 MiB), or as one put when they fit one part.
 * byte_count, line_count and sha256_digest describe the JSONL as Shopify served it.
 */
import { createGunzip } from 'node:zlib';
import type postgres from 'postgres';
import { type ByteSource, iterateBytes, type JsonlRecord, readJsonlLines } from './jsonl-reader.ts';
import type { ResourceName } from './shopify-objects.ts';

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

export const SEGMENT_BYTES = 4 * 1024 * 1024;
/** R2: all parts but the last the same size, at least 5 MiB. */
export const PART_BYTES = 8 * 1024 * 1024;
const NEWLINE = 0x0a;

/** Waits before the 2nd and 3rd try of an R2 write. */
const R2_WRITE_RETRY_DELAYS_MS = [250, 1000];

/**
 * An R2 write (put, a multipart part, create, complete) tried up to three times: R2 answers the
 * odd write with a transient error, and the bytes of a part are still in memory, so retrying the
 * write beats refetching a whole export (or failing the refund and deletion exports outright).
 */
async function retryingR2Write<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      const wait = R2_WRITE_RETRY_DELAYS_MS[attempt];
      if (wait === undefined) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/** `shopify/<resource>/<yyyy-mm-dd>/<execution id>-<label>.jsonl.gz` */
export function archiveKey(resource: ResourceName, executionId: string, label: string, at = new Date()): string {
  return `shopify/${resource}/${at.toISOString().slice(0, 10)}/${executionId}-${label}.jsonl.gz`;
}

/** Streams `source` into R2 at `key` as segmented gzip JSONL; nothing larger than a part is held. */
export async function archiveJsonl(
  bucket: R2Bucket,
  key: string,
  source: ByteSource,
  options: { segmentBytes?: number; partBytes?: number; customMetadata?: Record<string, string> } = {},
): Promise<ArchivedObject> {
  const segmentBytes = options.segmentBytes ?? SEGMENT_BYTES;
  const partBytes = options.partBytes ?? PART_BYTES;
  const httpMetadata = { contentType: 'application/x-ndjson', contentEncoding: 'gzip' };
  const digest = new crypto.DigestStream('SHA-256');
  const digestWriter = digest.getWriter();

  const segments: Segment[] = [];
  let byteCount = 0;
  let lineCount = 0;
  let storedByteCount = 0;
  let lastByte = NEWLINE;

  // compressed output waiting to become a part
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let upload: R2MultipartUpload | null = null;
  const parts: R2UploadedPart[] = [];
  const uploadPart = async (bytes: Uint8Array) => {
    upload ??= await retryingR2Write(() =>
      bucket.createMultipartUpload(key, { httpMetadata, customMetadata: options.customMetadata }),
    );
    const current = upload;
    parts.push(await retryingR2Write(() => current.uploadPart(parts.length + 1, bytes)));
  };
  const takePending = (length: number): Uint8Array => {
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const head = pending[0] as Uint8Array;
      const take = Math.min(head.length, length - filled);
      out.set(head.subarray(0, take), filled);
      filled += take;
      if (take === head.length) pending.shift();
      else pending[0] = head.subarray(take);
    }
    pendingBytes -= length;
    return out;
  };
  const addCompressed = async (bytes: Uint8Array) => {
    pending.push(bytes);
    pendingBytes += bytes.length;
    storedByteCount += bytes.length;
    while (pendingBytes >= partBytes) await uploadPart(takePending(partBytes));
  };

  // the segment being compressed
  let segment: { writer: WritableStreamDefaultWriter<Uint8Array>; drained: Promise<void>; start: number } | null = null;
  let segmentRawBytes = 0;
  let segmentFirstLine = 1;
  let segmentLines = 0;
  const openSegment = () => {
    const compression = new CompressionStream('gzip');
    const start = storedByteCount;
    const drained = (async () => {
      for await (const chunk of iterateBytes(compression.readable)) await addCompressed(chunk);
    })();
    segment = { writer: compression.writable.getWriter(), drained, start };
  };
  const closeSegment = async () => {
    if (!segment) return;
    const { writer, drained, start } = segment;
    segment = null;
    await writer.close();
    await drained;
    // a line without its newline at the very end still counts
    const lines = segmentLines + (lastByte !== NEWLINE && segmentRawBytes > 0 ? 1 : 0);
    segments.push([start, storedByteCount - start, segmentFirstLine, lines]);
    segmentFirstLine += lines;
    lineCount += lines;
    segmentRawBytes = 0;
    segmentLines = 0;
  };
  const writeRaw = async (bytes: Uint8Array) => {
    if (bytes.length === 0) return;
    if (!segment) openSegment();
    const current = segment as unknown as { writer: WritableStreamDefaultWriter<Uint8Array> };
    await current.writer.write(bytes);
    segmentRawBytes += bytes.length;
    for (let i = bytes.indexOf(NEWLINE); i !== -1; i = bytes.indexOf(NEWLINE, i + 1)) segmentLines++;
    lastByte = bytes[bytes.length - 1] as number;
  };

  try {
    for await (const chunk of iterateBytes(source)) {
      if (chunk.length === 0) continue;
      byteCount += chunk.length;
      await digestWriter.write(chunk);
      let rest = chunk;
      // end the segment at the first newline once it is big enough
      while (segmentRawBytes + rest.length >= segmentBytes) {
        const from = Math.max(0, segmentBytes - segmentRawBytes - 1);
        const newline = rest.indexOf(NEWLINE, from);
        if (newline === -1) break;
        await writeRaw(rest.subarray(0, newline + 1));
        await closeSegment();
        rest = rest.subarray(newline + 1);
      }
      await writeRaw(rest);
    }
    await closeSegment();
    await digestWriter.close();
    const remainder = takePending(pendingBytes);
    if (upload === null) {
      await retryingR2Write(() => bucket.put(key, remainder, { httpMetadata, customMetadata: options.customMetadata }));
    } else {
      if (remainder.length > 0) await uploadPart(remainder);
      const finished = upload as R2MultipartUpload;
      await retryingR2Write(() => finished.complete(parts));
    }
  } catch (error) {
    // leave no stream or upload half-open behind
    const open = segment as { writer: WritableStreamDefaultWriter<Uint8Array>; drained: Promise<void> } | null;
    if (open) {
      await open.writer.abort(error).catch(() => {});
      await open.drained.catch(() => {});
    }
    await digestWriter.abort(error).catch(() => {});
    digest.digest.catch(() => {});
    if (upload !== null) await (upload as R2MultipartUpload).abort().catch(() => {});
    throw error;
  } finally {
    pending = [];
  }
  return {
    objectKey: key,
    byteCount,
    lineCount,
    sha256: toHex(await digest.digest),
    storedByteCount,
    segments,
    endedWithNewline: lastByte === NEWLINE,
  };
}

function toHex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Indexes an archived object; recording the same key again returns the existing row. */
export async function recordArchivedObject(
  sql: postgres.Sql,
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
  sql: postgres.Sql,
  by: { id: string } | { key: string },
): Promise<InformationBearingEntity | null> {
  const [row] = await sql<InformationBearingEntity[]>`
    select information_bearing_entity_id, object_key, resource_name, byte_count::float8 as byte_count,
           line_count::float8 as line_count, sha256_digest, stored_byte_count::float8 as stored_byte_count,
           segment_index, procedure_execution_id, created_at::text as created_at
    from information_bearing_entity
    where ${'id' in by ? sql`information_bearing_entity_id = ${by.id}` : sql`object_key = ${by.key}`}`;
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
