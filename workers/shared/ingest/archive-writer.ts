/**
 * Writing the R2 archive (archive.ts describes the format): JSONL in, segmented gzip out, in
 * bounded steps. A step takes source bytes, closes whole segments (one gzip member each), uploads
 * every full part of compressed bytes as a part of an R2 multipart upload, and stops at the first
 * segment end after `stepBytes`: what it did is an ArchiveWriteState that fits in a checkpoint
 * (upload id, parts with etags, source offset, the segment index so far, the running SHA-256).
 * Compressed bytes short of a part (R2 wants all parts but the last the same size) wait in a
 * carry object in R2, named by the state that owns it. A step that dies resumes from the last
 * recorded state: part numbers after it are uploaded again, so nothing is duplicated or lost.
 */
import type { ArchivedObject, Segment } from './archive.ts';
import { type ByteSource, iterateBytes } from './jsonl-reader.ts';
import { Sha256, type Sha256State } from './sha256.ts';

export const SEGMENT_BYTES = 4 * 1024 * 1024;
/** R2: all parts but the last the same size, at least 5 MiB. */
export const PART_BYTES = 8 * 1024 * 1024;
const NEWLINE = 0x0a;

export interface ArchiveWriteState {
  key: string;
  /** The R2 multipart upload, from its first part on. */
  uploadId: string | null;
  parts: R2UploadedPart[];
  /** The R2 object holding compressed bytes not yet a whole part. */
  carryKey: string | null;
  /** Source bytes archived (all in closed segments): the next step starts here. */
  sourceOffset: number;
  storedByteCount: number;
  lineCount: number;
  segments: Segment[];
  lastByte: number;
  sha256: Sha256State;
}

export interface ArchiveWriteOptions {
  segmentBytes?: number;
  partBytes?: number;
  /** Source bytes after which the step ends (at the next segment end). Default: no bound. */
  stepBytes?: number;
  customMetadata?: Record<string, string>;
  /** A failed step aborts its multipart upload (a write that will not be resumed). */
  abandonOnError?: boolean;
}

export function startArchiveWrite(key: string): ArchiveWriteState {
  return {
    key,
    uploadId: null,
    parts: [],
    carryKey: null,
    sourceOffset: 0,
    storedByteCount: 0,
    lineCount: 0,
    segments: [],
    lastByte: NEWLINE,
    sha256: new Sha256().state(),
  };
}

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

/** Streams `source` into R2 at `key` as segmented gzip JSONL in one go; a failure leaves nothing half-open. */
export async function archiveJsonl(
  bucket: R2Bucket,
  key: string,
  source: ByteSource,
  options: Omit<ArchiveWriteOptions, 'stepBytes'> = {},
): Promise<ArchivedObject> {
  const step = await archiveStep(bucket, startArchiveWrite(key), source, {
    ...options,
    stepBytes: undefined,
    abandonOnError: true,
  });
  if (!step.archived) throw new Error(`archiving ${key} stopped before the end of its source`);
  return step.archived;
}

/**
 * One bounded step: archives `source` (the export from `state.sourceOffset` on) until it ends (the
 * object is completed: `archived`) or `stepBytes` were taken (`archived` null; `state` resumes).
 * The given state is not changed; a step that throws can be run again from it.
 */
export async function archiveStep(
  bucket: R2Bucket,
  from: ArchiveWriteState,
  source: ByteSource,
  options: ArchiveWriteOptions = {},
): Promise<{ state: ArchiveWriteState; archived: ArchivedObject | null }> {
  const segmentBytes = options.segmentBytes ?? SEGMENT_BYTES;
  const partBytes = options.partBytes ?? PART_BYTES;
  const stepBytes = options.stepBytes ?? Number.POSITIVE_INFINITY;
  const httpMetadata = { contentType: 'application/x-ndjson', contentEncoding: 'gzip' };
  const state: ArchiveWriteState = structuredClone(from);
  const { key } = state;
  const hash = new Sha256(state.sha256);

  // compressed output waiting to become a part: the carry of the last step first
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  if (state.carryKey) {
    const carry = await bucket.get(state.carryKey);
    if (!carry) throw new Error(`the carry ${state.carryKey} of archive ${key} is missing from R2`);
    pending.push(new Uint8Array(await carry.arrayBuffer()));
    pendingBytes = pending[0]?.length ?? 0;
  }
  // carries of earlier states and of steps that died before their state was recorded (a write
  // that starts fresh has none: one-go archives make no R2 list calls)
  const resumed = from.sourceOffset > 0 || from.carryKey !== null;
  if (resumed) await deleteCarries(bucket, key, state.carryKey);

  let upload: R2MultipartUpload | null = state.uploadId ? bucket.resumeMultipartUpload(key, state.uploadId) : null;
  const uploadPart = async (bytes: Uint8Array) => {
    upload ??= await retryingR2Write(() =>
      bucket.createMultipartUpload(key, { httpMetadata, customMetadata: options.customMetadata }),
    );
    const current = upload;
    state.uploadId = current.uploadId;
    state.parts.push(await retryingR2Write(() => current.uploadPart(state.parts.length + 1, bytes)));
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
    state.storedByteCount += bytes.length;
    while (pendingBytes >= partBytes) await uploadPart(takePending(partBytes));
  };

  // the segment being compressed
  let segment: { writer: WritableStreamDefaultWriter<Uint8Array>; drained: Promise<void>; start: number } | null = null;
  let segmentRawBytes = 0;
  let segmentLines = 0;
  let takenThisStep = 0;
  const openSegment = () => {
    const compression = new CompressionStream('gzip');
    const start = state.storedByteCount;
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
    const lines = segmentLines + (state.lastByte !== NEWLINE && segmentRawBytes > 0 ? 1 : 0);
    state.segments.push([start, state.storedByteCount - start, state.lineCount + 1, lines]);
    state.lineCount += lines;
    state.sourceOffset += segmentRawBytes;
    segmentRawBytes = 0;
    segmentLines = 0;
  };
  const writeRaw = async (bytes: Uint8Array) => {
    if (bytes.length === 0) return;
    if (!segment) openSegment();
    const current = segment as unknown as { writer: WritableStreamDefaultWriter<Uint8Array> };
    await current.writer.write(bytes);
    hash.update(bytes);
    segmentRawBytes += bytes.length;
    takenThisStep += bytes.length;
    for (let i = bytes.indexOf(NEWLINE); i !== -1; i = bytes.indexOf(NEWLINE, i + 1)) segmentLines++;
    state.lastByte = bytes[bytes.length - 1] as number;
  };

  let ended = true;
  try {
    reading: for await (const chunk of iterateBytes(source)) {
      let rest = chunk;
      // end the segment at the first newline once it is big enough
      while (segmentRawBytes + rest.length >= segmentBytes) {
        const from = Math.max(0, segmentBytes - segmentRawBytes - 1);
        const newline = rest.indexOf(NEWLINE, from);
        if (newline === -1) break;
        await writeRaw(rest.subarray(0, newline + 1));
        await closeSegment();
        rest = rest.subarray(newline + 1);
        if (takenThisStep >= stepBytes) {
          ended = false;
          break reading;
        }
      }
      await writeRaw(rest);
    }
    await closeSegment();
    state.sha256 = hash.state();
    if (!ended) {
      state.carryKey = null;
      if (pendingBytes > 0) {
        // named by what it follows, so a step that dies before its state is recorded leaves the last carry be
        state.carryKey = `${key}.carry-${state.parts.length}-${state.sourceOffset}`;
        const carry = takePending(pendingBytes);
        await retryingR2Write(() => bucket.put(state.carryKey as string, carry));
      }
      return { state, archived: null };
    }
    const remainder = takePending(pendingBytes);
    if (upload === null) {
      await retryingR2Write(() => bucket.put(key, remainder, { httpMetadata, customMetadata: options.customMetadata }));
    } else {
      if (remainder.length > 0) await uploadPart(remainder);
      const finished = upload as R2MultipartUpload;
      await retryingR2Write(() => finished.complete(state.parts));
    }
    if (resumed) await deleteCarries(bucket, key, null);
  } catch (error) {
    // leave no stream half-open behind; the upload stays for a step that resumes, unless told
    const open = segment as { writer: WritableStreamDefaultWriter<Uint8Array>; drained: Promise<void> } | null;
    if (open) {
      await open.writer.abort(error).catch(() => {});
      await open.drained.catch(() => {});
    }
    if (options.abandonOnError) await abandonArchiveWrite(bucket, state).catch(() => {});
    throw error;
  } finally {
    pending = [];
  }
  return {
    state: { ...state, carryKey: null },
    archived: {
      objectKey: key,
      byteCount: state.sourceOffset,
      lineCount: state.lineCount,
      sha256: hash.hex(),
      storedByteCount: state.storedByteCount,
      segments: state.segments,
      endedWithNewline: state.lastByte === NEWLINE,
    },
  };
}

/** Gives up an archive write that will not be resumed: its multipart upload and carries go. */
export async function abandonArchiveWrite(bucket: R2Bucket, state: ArchiveWriteState): Promise<void> {
  if (state.uploadId)
    await bucket
      .resumeMultipartUpload(state.key, state.uploadId)
      .abort()
      .catch(() => {});
  await deleteCarries(bucket, state.key, null);
}

async function deleteCarries(bucket: R2Bucket, key: string, keep: string | null): Promise<void> {
  const listed = await bucket.list({ prefix: `${key}.carry-` });
  const stale = listed.objects.map((object) => object.key).filter((name) => name !== keep);
  if (stale.length > 0) await bucket.delete(stale);
}
