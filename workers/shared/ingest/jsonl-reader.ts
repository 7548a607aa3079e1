/**
 * The streaming JSONL reader: turns a byte stream (a Shopify bulk export, an R2 archive segment)
 * into numbered lines without ever holding more than one line in memory.
 *
 * Lines are split on the newline byte before decoding, so a chunk boundary inside a multi-byte
 * UTF-8 character or inside a JSON escape cannot corrupt a line (0x0A never occurs inside a UTF-8
 * sequence, and JSON strings cannot contain a raw newline). Each line is then decoded strictly:
 * a line that is not UTF-8, or longer than the limit, comes out as an `invalid` record with its
 * line number for the quarantine, and reading goes on. Runtime-neutral (Node and workerd).
 */

export type JsonlRecord =
  | { kind: 'line'; lineNumber: number; text: string }
  | { kind: 'invalid'; lineNumber: number; reason: string; excerpt: string };

export interface JsonlReadOptions {
  /** Number of the first line in the stream (a segment of a larger file starts later). Default 1. */
  firstLineNumber?: number;
  /** A longer line is reported invalid instead of buffered. Default 16 MiB. */
  maxLineBytes?: number;
}

/** What the reader saw, for the caller's bookkeeping (truncation checks, counts). */
export interface JsonlReadSummary {
  /** Lines seen including blank and invalid ones. */
  lineCount: number;
  byteCount: number;
  /** False when the stream ended in the middle of a line: a truncated download, usually. */
  endedWithNewline: boolean;
}

export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const EXCERPT_CHARS = 200;

export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | ReadableStream<Uint8Array>;

/** Iterates a ReadableStream through its reader (not every runtime makes streams async-iterable). */
export async function* iterateBytes(source: ByteSource): AsyncGenerator<Uint8Array> {
  if (!(typeof ReadableStream !== 'undefined' && source instanceof ReadableStream)) {
    yield* source as AsyncIterable<Uint8Array>;
    return;
  }
  const reader = source.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * Yields every non-blank line of `source` (CR of CRLF and a leading byte-order mark removed) or
 * an `invalid` record for it. `summary`, when given, is filled in as the stream is read.
 */
export async function* readJsonlLines(
  source: ByteSource,
  options: JsonlReadOptions = {},
  summary: JsonlReadSummary = { lineCount: 0, byteCount: 0, endedWithNewline: true },
): AsyncGenerator<JsonlRecord> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let lineNumber = (options.firstLineNumber ?? 1) - 1;
  let pieces: Uint8Array[] = [];
  let pendingBytes = 0;
  let oversized = false;
  let sawBytesOnLine = false;

  const finishLine = (): JsonlRecord | null => {
    lineNumber += 1;
    summary.lineCount += 1;
    const wasOversized = oversized;
    const bytes = concat(pieces, pendingBytes);
    pieces = [];
    pendingBytes = 0;
    oversized = false;
    sawBytesOnLine = false;
    if (wasOversized) {
      return {
        kind: 'invalid',
        lineNumber,
        reason: `line longer than ${maxLineBytes} bytes`,
        excerpt: lossyExcerpt(bytes),
      };
    }
    const end = bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN ? bytes.length - 1 : bytes.length;
    const line = bytes.subarray(0, end);
    let text: string;
    try {
      text = decoder.decode(line);
    } catch {
      return { kind: 'invalid', lineNumber, reason: 'not valid UTF-8', excerpt: lossyExcerpt(line) };
    }
    if (text.trim() === '') return null;
    return { kind: 'line', lineNumber, text };
  };

  const append = (part: Uint8Array) => {
    if (part.length === 0) return;
    sawBytesOnLine = true;
    if (oversized) return;
    if (pendingBytes + part.length > maxLineBytes) {
      // keep only the start for the excerpt; the rest of the line is skipped, not buffered
      oversized = true;
      const room = Math.max(0, EXCERPT_CHARS * 4 - pendingBytes);
      if (room > 0) {
        pieces.push(part.slice(0, room));
        pendingBytes += Math.min(room, part.length);
      }
      return;
    }
    // copy: the producer may reuse its buffer after yielding it
    pieces.push(part.slice());
    pendingBytes += part.length;
  };

  for await (const chunk of iterateBytes(source)) {
    summary.byteCount += chunk.length;
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline === -1) {
        append(chunk.subarray(start));
        break;
      }
      append(chunk.subarray(start, newline));
      const record = finishLine();
      if (record) yield record;
      start = newline + 1;
    }
  }
  summary.endedWithNewline = !sawBytesOnLine;
  if (sawBytesOnLine) {
    const record = finishLine();
    if (record) yield record;
  }
}

/** Lines given as strings (tests, small inputs): numbered from `firstLineNumber`, blank ones skipped. */
export async function* numberLines(
  lines: AsyncIterable<string> | Iterable<string>,
  firstLineNumber = 1,
): AsyncGenerator<JsonlRecord> {
  let lineNumber = firstLineNumber - 1;
  for await (const raw of lines as AsyncIterable<string>) {
    lineNumber += 1;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') continue;
    yield { kind: 'line', lineNumber, text };
  }
}

function concat(pieces: Uint8Array[], length: number): Uint8Array {
  if (pieces.length === 1) return pieces[0] as Uint8Array;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

function lossyExcerpt(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes.subarray(0, EXCERPT_CHARS * 4)).slice(0, EXCERPT_CHARS);
}

/** The first characters of a line, for a quarantine record. */
export function excerptOf(text: string): string {
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text;
}
