/** One bounded step of downloading a bulk operation's result (a URL) into the R2 archive. */
import type { Env } from '../env.ts';
import type { ArchivedObject } from './archive.ts';
import { type ArchiveWriteState, archiveStep } from './archive-writer.ts';
import { iterateBytes } from './jsonl-reader.ts';
import type { ParsedSyncParameters } from './sync-parameters.ts';

/**
 * Bytes of a bulk export one download step archives (then it checkpoints and goes on in a new
 * message): compressing, hashing and uploading them stays far inside the step's CPU limit
 * (BENCHMARKS.md "Step CPU and memory").
 */
export const DOWNLOAD_STEP_BYTES = 64 * 1024 * 1024;

/** Streams a URL (a bulk result) into the archive; throws a DownloadError the step can act on. */
export class DownloadError extends Error {
  override name = 'DownloadError';
  constructor(
    message: string,
    readonly expired: boolean,
  ) {
    super(message);
  }
}

/**
 * One bounded step of a download: the export from `writing.sourceOffset` on (an HTTP Range request;
 * Shopify's result URLs honour them) into the archive, until it ends or `download_step_bytes`.
 */
export async function downloadStep(
  env: Env,
  url: string,
  writing: ArchiveWriteState,
  parameters: ParsedSyncParameters,
): Promise<{ state: ArchiveWriteState; archived: ArchivedObject | null }> {
  const offset = writing.sourceOffset;
  let response: Response;
  try {
    response = await fetch(url, offset > 0 ? { headers: { Range: `bytes=${offset}-` } } : {});
  } catch (error) {
    throw new DownloadError(`the download failed: ${error instanceof Error ? error.message : String(error)}`, false);
  }
  if (response.status === 403 || response.status === 404 || response.status === 410) {
    await response.body?.cancel();
    throw new DownloadError(`the result URL answered ${response.status} (expired)`, true);
  }
  // 416: the last step ended exactly at the end of the export
  const rest = response.status === 416 ? null : response.body;
  if (response.status !== 416 && (!response.ok || !rest)) {
    await response.body?.cancel();
    throw new DownloadError(`the result URL answered ${response.status}`, false);
  }
  const source = rest === null ? [] : response.status === 206 || offset === 0 ? rest : skipBytes(rest, offset);
  try {
    return await archiveStep(env.RAW_ARCHIVE, writing, source, {
      segmentBytes: parameters.segment_bytes,
      stepBytes: parameters.download_step_bytes ?? DOWNLOAD_STEP_BYTES,
    });
  } catch (error) {
    throw new DownloadError(`the download broke off: ${error instanceof Error ? error.message : String(error)}`, false);
  } finally {
    // a step that stopped early leaves the rest unread
    await rest?.cancel().catch(() => {});
  }
}

/** A server that ignored the Range request sent the whole export: the bytes already archived are skipped. */
async function* skipBytes(source: ReadableStream<Uint8Array>, count: number): AsyncGenerator<Uint8Array> {
  let skipped = 0;
  for await (const chunk of iterateBytes(source)) {
    if (skipped >= count) {
      yield chunk;
      continue;
    }
    const from = Math.min(chunk.length, count - skipped);
    skipped += from;
    if (from < chunk.length) yield chunk.subarray(from);
  }
}
