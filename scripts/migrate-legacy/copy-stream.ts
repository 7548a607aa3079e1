/**
 * One COPY pipe: `copy (select …) to stdout` on the source straight into `copy … from stdin` on the
 * target, in COPY text format, counting rows on the way (each row ends in exactly one newline byte;
 * newlines inside values are escaped as `\n`), with backpressure.
 *
 * postgres.js 3.4.9 never settles a COPY FROM STDIN writable when the server rejects the data after
 * the client's CopyDone (a check or foreign key failing on the last rows): porsager/postgres#1173,
 * fix pending in #1183. So the server's error is taken from the query itself (its `reject`, which
 * postgres.js does call) and raced against the stream (failureOf). On any failure the source side is drained
 * to its end instead of destroyed, so the source connection (and its snapshot transaction) stays
 * usable and can be rolled back.
 *
 * It also leaves the connection's socket paused when a COPY TO STDOUT's last CopyData filled the
 * readable's buffer in the same TCP read as CopyDone (porsager/postgres#1016, open): every later
 * query on that connection then hangs. `resumeAfterCopyOut` undoes that once the readable is done.
 */
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Queryable } from './databases.ts';

export function countNewlines(chunk: Buffer): number {
  let count = 0;
  for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) count++;
  return count;
}

/**
 * How a COPY query fails: the server's error, even after its promise already resolved to a COPY
 * stream, or its stream's error. The stream's listener is attached as postgres.js creates the
 * stream: when the server's error arrives in the same socket read as its CopyOutResponse, the
 * stream is destroyed (its 'error' emitted on the next tick) before an `await` of the stream
 * could attach one, and an 'error' without a listener is an uncaught exception.
 */
function failureOf(query: object): Promise<never> {
  const pending = query as unknown as { resolve: (value: unknown) => void; reject: (error: unknown) => void };
  const { resolve, reject } = pending;
  const failure = new Promise<never>((_, fail) => {
    pending.reject = (error: unknown) => {
      fail(error);
      reject(error);
    };
    pending.resolve = (value: unknown) => {
      (value as Partial<Readable>)?.on?.('error', fail);
      resolve(value);
    };
  });
  failure.catch(() => {});
  return failure;
}

export async function pipeCopy(
  source: Queryable,
  copyOut: string,
  target: Queryable,
  copyIn: string,
  onRows: (rows: number) => void = () => {},
): Promise<number> {
  const outQuery = source.unsafe(copyOut);
  const outError = failureOf(outQuery);
  const readable = await outQuery.readable();
  const inQuery = target.unsafe(copyIn);
  const inError = failureOf(inQuery);
  let writable: Writable;
  try {
    writable = await inQuery.writable();
  } catch (error) {
    await drain(readable);
    throw error;
  }

  let rows = 0;
  const copied = new Promise<void>((resolve) => {
    readable.on('data', (chunk: Buffer) => {
      const n = countNewlines(chunk);
      rows += n;
      if (n > 0) onRows(n);
      if (!writable.write(chunk)) readable.pause();
    });
    writable.on('drain', () => readable.resume());
    readable.once('end', () => writable.end());
    writable.once('finish', () => resolve());
  });
  try {
    await Promise.race([copied, outError, inError]);
    resumeAfterCopyOut(readable);
  } catch (error) {
    readable.removeAllListeners('data');
    if (!writable.destroyed) writable.destroy(error as Error); // sends CopyFail; harmless if the server already failed
    await drain(readable);
    throw error;
  }
  return rows;
}

async function drain(readable: Readable): Promise<void> {
  if (!readable.destroyed && !readable.readableEnded) {
    readable.resume();
    await finished(readable).catch(() => {});
  }
  resumeAfterCopyOut(readable);
}

/**
 * postgres.js's COPY readable implements `_read` as "resume the connection's socket"; calling it
 * once the stream has ended is exactly the fix of porsager/postgres#1016 (harmless when not paused).
 */
export function resumeAfterCopyOut(readable: Readable): void {
  (readable as Readable & { _read(size: number): void })._read(0);
}
