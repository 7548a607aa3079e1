/**
 * Reading archived objects back: every gzip member ("segment"), never just the first. workerd's
 * DecompressionStream stops with an error at the end of the first member of a multi-member object.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { Env } from '#shared/env.ts';
import { archiveJsonl, readArchivedLines, readSegment } from '#shared/ingest/archive.ts';
import { readJsonlLines } from '#shared/ingest/jsonl-reader.ts';

const bindings = env as unknown as Env;
const encoder = new TextEncoder();

function refundLines(count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify({ id: `gid://shopify/Refund/${i + 1}`, note: `refund ${i + 1} ${'x'.repeat(i % 97)}` }),
  );
}

async function archiveInSegments(lines: string[], segmentBytes: number) {
  const key = `test/refunds-${crypto.randomUUID()}.jsonl.gz`;
  const archived = await archiveJsonl(
    bindings.RAW_ARCHIVE,
    key,
    lines.map((line) => encoder.encode(`${line}\n`)),
    { segmentBytes },
  );
  return archived;
}

async function textsOf(records: AsyncIterable<{ kind: string; lineNumber: number; text?: string }>) {
  const texts: { lineNumber: number; text: string | undefined }[] = [];
  for await (const record of records) texts.push({ lineNumber: record.lineNumber, text: record.text });
  return texts;
}

describe('archived objects of several gzip members', () => {
  it('a refunds page bigger than one segment reads every member through the index, in line order', async () => {
    const lines = refundLines(600);
    const archived = await archiveInSegments(lines, 4 * 1024);
    expect(archived.segments.length).toBeGreaterThan(3);
    const read = await textsOf(readArchivedLines(bindings.RAW_ARCHIVE, archived.objectKey, archived.segments));
    expect(read).toEqual(lines.map((text, i) => ({ lineNumber: i + 1, text })));
  });

  it('an object without an index (one whole-object segment) reads every member, where one DecompressionStream stops at the first', async () => {
    const lines = refundLines(600);
    const archived = await archiveInSegments(lines, 4 * 1024);
    const whole: [number, number, number, number] = [0, 0, 1, lines.length];

    // the old way: the whole object through one DecompressionStream fails after the first member
    const object = await bindings.RAW_ARCHIVE.get(archived.objectKey);
    const naive = readJsonlLines(object?.body.pipeThrough(new DecompressionStream('gzip')) as ReadableStream);
    await expect(textsOf(naive)).rejects.toThrow(/trailing bytes/i);

    const read = await textsOf(readArchivedLines(bindings.RAW_ARCHIVE, archived.objectKey, [whole]));
    expect(read).toEqual(lines.map((text, i) => ({ lineNumber: i + 1, text })));
    // readSegment is the same reader for one segment
    const segment = archived.segments[2] as [number, number, number, number];
    const one = await textsOf(
      readJsonlLines(await readSegment(bindings.RAW_ARCHIVE, archived.objectKey, segment), {
        firstLineNumber: segment[2],
      }),
    );
    expect(one).toEqual(
      lines.slice(segment[2] - 1, segment[2] - 1 + segment[3]).map((text, i) => ({ lineNumber: segment[2] + i, text })),
    );
  });
});
