/**
 * A file-backed stand-in for the R2 bucket binding, for benchmarks that run Worker step functions
 * in Node (scripts/bench/steps.ts): the calls the archive makes (get with a range, put, head, list,
 * delete, multipart create/resume/part/complete/abort) with R2's part rules (all parts but the last
 * the same size, at least 5 MiB). Not a test double: the Workers tests use miniflare's real R2.
 */
import { createReadStream } from 'node:fs';
import { appendFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';

const MIN_PART_BYTES = 5 * 1024 * 1024;

export function fileBucket(dir: string) {
  const pathOf = (key: string) => join(dir, 'objects', encodeURIComponent(key));
  const partPath = (uploadId: string, partNumber: number) => join(dir, 'uploads', uploadId, String(partNumber));
  const toBytes = async (value: unknown): Promise<Uint8Array> =>
    value instanceof Uint8Array
      ? value
      : new Uint8Array(await new Response(value as ConstructorParameters<typeof Response>[0]).arrayBuffer());

  const objectOf = async (key: string, range?: { offset: number; length: number }) => {
    const path = pathOf(key);
    const size = (await stat(path).catch(() => null))?.size;
    if (size === undefined) return null;
    const start = range?.offset ?? 0;
    const end = range ? start + range.length - 1 : size - 1;
    return {
      key,
      size,
      get body() {
        return Readable.toWeb(createReadStream(path, { start, end })) as unknown as ReadableStream<Uint8Array>;
      },
      arrayBuffer: async () => {
        const bytes = await readFile(path);
        return bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + end + 1);
      },
    };
  };

  const multipart = (key: string, uploadId: string) => ({
    key,
    uploadId,
    async uploadPart(partNumber: number, value: unknown) {
      await mkdir(join(dir, 'uploads', uploadId), { recursive: true });
      await writeFile(partPath(uploadId, partNumber), await toBytes(value));
      return { partNumber, etag: `${uploadId}-${partNumber}-${Date.now()}` };
    },
    async complete(parts: { partNumber: number; etag: string }[]) {
      const sizes = await Promise.all(parts.map(async (p) => (await stat(partPath(uploadId, p.partNumber))).size));
      const first = sizes[0] ?? 0;
      sizes.forEach((size, i) => {
        if (i < sizes.length - 1 && (size !== first || size < MIN_PART_BYTES))
          throw new Error(`part ${i + 1} is ${size} bytes: all parts but the last must be ${first} bytes, ≥ 5 MiB`);
      });
      await writeFile(pathOf(key), new Uint8Array());
      for (const part of parts) await appendFile(pathOf(key), await readFile(partPath(uploadId, part.partNumber)));
      await rm(join(dir, 'uploads', uploadId), { recursive: true, force: true });
      return objectOf(key);
    },
    async abort() {
      await rm(join(dir, 'uploads', uploadId), { recursive: true, force: true });
    },
  });

  return {
    async init() {
      await mkdir(join(dir, 'objects'), { recursive: true });
      await mkdir(join(dir, 'uploads'), { recursive: true });
    },
    get: (key: string, options?: { range?: { offset: number; length: number } }) => objectOf(key, options?.range),
    head: (key: string) => objectOf(key),
    async put(key: string, value: unknown) {
      await writeFile(pathOf(key), await toBytes(value));
      return objectOf(key);
    },
    async list(options: { prefix?: string } = {}) {
      const keys = (await readdir(join(dir, 'objects'))).map(decodeURIComponent);
      return { objects: keys.filter((key) => key.startsWith(options.prefix ?? '')).map((key) => ({ key })) };
    },
    async delete(keys: string | string[]) {
      for (const key of Array.isArray(keys) ? keys : [keys]) await rm(pathOf(key), { force: true });
    },
    createMultipartUpload: async (key: string) => multipart(key, crypto.randomUUID()),
    resumeMultipartUpload: (key: string, uploadId: string) => multipart(key, uploadId),
  };
}
