import { readFile } from 'node:fs/promises';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { type JsonlReadSummary, type JsonlRecord, readJsonlLines } from '../../workers/shared/ingest/jsonl-reader.ts';
import { classifyLine } from '../../workers/shared/ingest/shopify-objects.ts';

const REAL = new URL('../../../shared/fixtures/shopify-real/', import.meta.url);

async function* chunked(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let start = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    if (cut <= start || cut >= bytes.length) continue;
    yield bytes.slice(start, cut);
    start = cut;
  }
  yield bytes.slice(start);
}

async function readAll(bytes: Uint8Array, cuts: number[] = [], options = {}) {
  const records: JsonlRecord[] = [];
  const summary: JsonlReadSummary = { lineCount: 0, byteCount: 0, endedWithNewline: true };
  for await (const record of readJsonlLines(chunked(bytes, cuts), options, summary)) records.push(record);
  return { records, summary };
}

const encode = (text: string) => new TextEncoder().encode(text);

// Lines with multi-byte UTF-8 (2, 3 and 4 bytes), escapes (\/ \" \\ \u00e9 \n) and Shopify's escaped slashes.
const SAMPLE = [
  '{"id":"gid:\\/\\/shopify\\/Product\\/1","title":"Crème brûlée — 東京 🍮"}',
  '{"title":"quote \\" backslash \\\\ slash \\/ unicode \\u00e9 \\ud83c\\udf6e newline \\n"}',
  '{"tags":["ä","ö","ü"],"url":"https:\\/\\/cdn.example\\/x.png?v=1"}',
].join('\n');

describe('readJsonlLines', () => {
  test.prop([fc.array(fc.nat({ max: encode(SAMPLE).length }), { maxLength: 40 })])(
    'gives the same lines wherever the chunk boundaries fall (inside multi-byte characters and escapes too)',
    async (cuts) => {
      const bytes = encode(`${SAMPLE}\n`);
      const { records } = await readAll(bytes, cuts);
      expect(records).toEqual(SAMPLE.split('\n').map((text, i) => ({ kind: 'line', lineNumber: i + 1, text })));
      for (const record of records) if (record.kind === 'line') expect(() => JSON.parse(record.text)).not.toThrow();
    },
  );

  it('splits every chunk into single bytes without changing a line', async () => {
    const bytes = encode(`${SAMPLE}\n`);
    const { records } = await readAll(
      bytes,
      Array.from({ length: bytes.length }, (_, i) => i),
    );
    expect(records.map((r) => (r.kind === 'line' ? JSON.parse(r.text) : r))).toEqual(
      SAMPLE.split('\n').map((line) => JSON.parse(line)),
    );
    expect((JSON.parse((records[0] as { text: string }).text) as { id: string }).id).toBe('gid://shopify/Product/1');
  });

  it('strips CRLF and a byte-order mark, skips blank lines but keeps counting them', async () => {
    const { records, summary } = await readAll(encode('\uFEFF{"a":1}\r\n\r\n   \n{"b":2}\r\n'), [3, 9]);
    expect(records).toEqual([
      { kind: 'line', lineNumber: 1, text: '{"a":1}' },
      { kind: 'line', lineNumber: 4, text: '{"b":2}' },
    ]);
    expect(summary).toEqual({ lineCount: 4, byteCount: 27, endedWithNewline: true });
  });

  it('reports a line that is not UTF-8 with its number and reads on', async () => {
    const bytes = new Uint8Array([...encode('{"a":1}\n{"b":"'), 0xff, 0xfe, ...encode('"}\n{"c":3}\n')]);
    const { records } = await readAll(bytes, [10]);
    expect(records.map((r) => [r.kind, r.lineNumber])).toEqual([
      ['line', 1],
      ['invalid', 2],
      ['line', 3],
    ]);
    expect(records[1]).toMatchObject({ reason: 'not valid UTF-8' });
  });

  it('reports an over-long line without buffering it and reads on', async () => {
    const long = `{"x":"${'y'.repeat(5000)}"}`;
    const { records } = await readAll(encode(`{"a":1}\n${long}\n{"c":3}\n`), [100, 2000, 4000], { maxLineBytes: 1000 });
    expect(records.map((r) => [r.kind, r.lineNumber])).toEqual([
      ['line', 1],
      ['invalid', 2],
      ['line', 3],
    ]);
    expect(records[1]).toMatchObject({ reason: 'line longer than 1000 bytes' });
  });

  it('numbers lines from firstLineNumber and notices a stream that ends inside a line', async () => {
    const { records, summary } = await readAll(encode('{"a":1}\n{"b":'), [], { firstLineNumber: 101 });
    expect(records).toEqual([
      { kind: 'line', lineNumber: 101, text: '{"a":1}' },
      { kind: 'line', lineNumber: 102, text: '{"b":' },
    ]);
    expect(summary.endedWithNewline).toBe(false);
  });

  it('reads the real Shopify exports; their objects classify as loaded, ignored or invalid with a reason', async () => {
    const classified: Record<string, string[]> = {};
    for (const [resource, file] of [
      ['products', 'products.jsonl'],
      ['orders', 'orders.jsonl'],
    ] as const) {
      const { records } = await readAll(new Uint8Array(await readFile(new URL(file, REAL))), [7, 100, 1001]);
      classified[resource] = records.map((record) => {
        if (record.kind !== 'line') return `invalid line ${record.lineNumber}`;
        const line = classifyLine(resource, JSON.parse(record.text));
        return line.kind === 'object'
          ? `${line.object.objectType} ${line.object.objectId}`
          : `${line.kind}: ${line.reason}`;
      });
    }
    expect(classified).toEqual({
      products: [
        'Product 6950279086286',
        'MediaImage 22755647652046',
        'ignored: object type Metafield',
        'Product 6966721052878',
        'ignored: object type Metafield',
      ],
      orders: ['invalid: name is missing', 'invalid: title is missing'],
    });
  });
});
