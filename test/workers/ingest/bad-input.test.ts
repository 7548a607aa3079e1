/**
 * The ingest Worker's bad-input corpus (RELIABILITY.md), through its real entry points:
 *
 * - webhooks that are correctly signed but unusable (no webhook id or topic, not JSON, text
 *   Postgres cannot store): a clear 4xx and nothing recorded;
 * - an export in the R2 archive with malformed, truncated, non-UTF-8 and unstorable lines and a
 *   child whose parent never appears, loaded by the `load` execution: each bad line quarantined
 *   with its line number and reason, no row written from it, and every good line loaded exactly
 *   as the legacy functions load the same good products.
 *
 * (Bad and missing HMACs, replayed webhook ids and oversize bodies: webhooks.test.ts.)
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateStore } from '#scripts/store-generator/generate.ts';
import type { Sql } from '#shared/db/types.ts';
import type { Env } from '#shared/env.ts';
import { archiveJsonl, recordArchivedObject } from '#shared/ingest/archive.ts';
import { enqueueExecution } from '#shared/procedures/runner.ts';
import worker from '#workers/ingest/src/index.ts';
import {
  expectQuarantined,
  expectReadBack,
  expectRefusedWithoutChange,
  expectSameTables,
  withReplacementCharacters,
} from '../../support/reliability.ts';
import { openTestSql } from '../support/test-sql.ts';
import { waitForExecution } from './support/executions.ts';
import { compareRawTables, ingestLegacy } from './support/raw-tables.ts';
import { signWebhook } from './support/webhook-signature.ts';

const bindings = env as unknown as Env;
let sql: Sql;
let legacy: Sql;

beforeAll(() => {
  sql = openTestSql();
  legacy = openTestSql('legacy');
});
afterAll(async () => {
  await sql.end({ timeout: 5 });
  await legacy.end({ timeout: 5 });
});
beforeEach(async () => {
  await sql`truncate webhook_receipt, material_artifact, media_content_entity, tag_designation, quarantined_line,
            ingest_staged_object, information_bearing_entity, procedure_execution cascade`;
  await legacy`truncate products, orders, assets, tags cascade`;
});

const encoder = new TextEncoder();

async function deliver(body: Uint8Array, headers: Record<string, string | undefined>) {
  const all: Record<string, string> = {
    'content-type': 'application/json',
    'x-shopify-hmac-sha256': await signWebhook(body, bindings.SHOPIFY_WEBHOOK_SECRET as string),
    'x-shopify-shop-domain': 'generated-store-1.myshopify.com',
  };
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) delete all[name];
    else all[name] = value;
  }
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request('https://ingest.test/webhooks/shopify', { method: 'POST', headers: all, body }),
    bindings,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string } } };
}

describe('correctly signed webhooks the Worker cannot use', { tags: ['bad-input'] }, () => {
  const topic = { 'x-shopify-topic': 'products/update' };
  const id = () => ({ 'x-shopify-webhook-id': crypto.randomUUID() });
  const cases: [string, Uint8Array, Record<string, string | undefined>, RegExp][] = [
    ['no X-Shopify-Webhook-Id', encoder.encode('{"id":1}'), { ...topic }, /Webhook-Id and X-Shopify-Topic/],
    ['no X-Shopify-Topic', encoder.encode('{"id":1}'), { ...id() }, /Webhook-Id and X-Shopify-Topic/],
    ['a blank webhook id', encoder.encode('{"id":1}'), { ...topic, 'x-shopify-webhook-id': '  ' }, /Webhook-Id/],
    ['a body that is not JSON', encoder.encode('{"id":1,'), { ...topic, ...id() }, /not JSON/],
    ['an empty body', new Uint8Array(), { ...topic, ...id() }, /not JSON/],
    ['bytes that are not UTF-8', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), { ...topic, ...id() }, /not JSON/],
  ];
  it.each(cases)('%s: 400 and nothing recorded', async (label, body, headers, message) => {
    await expectRefusedWithoutChange(
      sql,
      async () => {
        const response = await deliver(body, headers);
        expect(response.status, JSON.stringify(response.body)).toBe(400);
        expect(response.body.error?.code).toBe('invalid_request');
        expect(response.body.error?.message).toMatch(message);
        return response;
      },
      `POST /webhooks/shopify ${JSON.stringify(headers)} ${JSON.stringify([...body])}`,
      { input: `a signed webhook with ${label}` },
    );
  });
});

describe('correctly signed webhooks with text jsonb cannot hold', { tags: ['bad-input'] }, () => {
  it('a NUL escape or an unpaired surrogate in a value or a key: accepted and recorded, with U+FFFD in their place', async () => {
    const cases = [
      ['{"id":1,"title":"a\\u0000b"}', { id: 1, title: 'a\ufffdb' }],
      ['{"id":2,"title":"x\\ud800y"}', { id: 2, title: 'x\ufffdy' }],
      ['{"id":3,"k\\u0000":"\\udc00"}', { id: 3, 'k\ufffd': '\ufffd' }],
    ] as const;
    for (const [body, stored] of cases) {
      const webhookId = crypto.randomUUID();
      const response = await deliver(encoder.encode(body), {
        'x-shopify-topic': 'shop/update',
        'x-shopify-webhook-id': webhookId,
      });
      expect(response, body).toMatchObject({ status: 200, body: { status: 'accepted' } });
      const [receipt] = await sql`select payload from webhook_receipt where webhook_id = ${webhookId}`;
      // keys and values as the raw strings they are (not JSON-escaped), in a stable order
      const text = (object: Record<string, unknown>) =>
        Object.entries(object)
          .map(([key, value]) => `${key}=${value}`)
          .sort()
          .join('&');
      const sent = text(JSON.parse(body));
      expectReadBack('a signed webhook holding a NUL or an unpaired surrogate', `POST /webhooks/shopify ${body}`, {
        sent,
        readBack: text(receipt?.payload),
        expected: withReplacementCharacters(sent),
      });
      expect(receipt?.payload).toEqual(stored);
    }
  });
});

describe('bad lines in an archived export', { tags: ['bad-input'] }, () => {
  it('are quarantined with their line numbers and reasons by the load execution; no row from them, every good line loaded', async () => {
    const store = generateStore({ seed: 81, products: 12, orders: 0, shuffleChildren: true });
    const good = store.fixture.products.map((line) => encoder.encode(`${line}\n`));
    /** A complete product line of this store under another id, with the given title. */
    const productLine = (id: number, title: string) => {
      const product = store.fixture.products.map((l) => JSON.parse(l)).find((o) => !o.__parentId);
      return encoder.encode(`${JSON.stringify({ ...product, id: `gid://shopify/Product/${id}`, title })}\n`);
    };
    const bad: { bytes: Uint8Array; reason: RegExp }[] = [
      { bytes: encoder.encode('{"id":"gid://shopify/Product/990001","title":\n'), reason: /^malformed JSON/ },
      {
        bytes: new Uint8Array([
          ...encoder.encode('{"id":"gid://shopify/Product/990002","title":"'),
          0xc3,
          0x28,
          0x22,
          0x7d,
          0x0a,
        ]),
        reason: /not valid UTF-8/,
      },
      { bytes: productLine(990003, 'a\u0000b'), reason: /NUL character/ },
      { bytes: productLine(990004, 'lone \ud800 surrogate'), reason: /unpaired UTF-16 surrogate/ },
      { bytes: encoder.encode('[1,2,3]\n'), reason: /not a JSON object/ },
      {
        bytes: encoder.encode(
          `${JSON.stringify({ id: 'gid://shopify/ProductVariant/990005', title: 'Orphan', price: '1.00', __parentId: 'gid://shopify/Product/990099' })}\n`,
        ),
        reason: /parent Product 990099 is not in this file/,
      },
    ];
    // bad lines among the good ones; the last one truncated mid-object with no newline
    const lines = [...good.slice(0, 5), ...bad.map((b) => b.bytes), ...good.slice(5)];
    const truncated = encoder.encode('{"id":"gid://shopify/Product/990006","title":"cut o');
    const body = new Uint8Array([...lines.flatMap((l) => [...l]), ...truncated]);
    const key = `test/bad-lines-${crypto.randomUUID()}.jsonl.gz`;
    const archived = await archiveJsonl(
      bindings.RAW_ARCHIVE,
      key,
      (async function* () {
        for (let i = 0; i < body.length; i += 777) yield body.slice(i, i + 777);
      })(),
      { segmentBytes: 2048 },
    );
    const entity = await recordArchivedObject(sql, archived, { resource: 'products', procedureExecutionId: null });
    const execution = await enqueueExecution(sql, bindings.INGEST_QUEUE, {
      kind: 'load',
      triggerSource: 'test',
      parameters: { information_bearing_entity_id: entity.information_bearing_entity_id },
    });
    const done = await waitForExecution(sql, execution.procedure_execution_id);
    expect(done.status, done.error_text ?? '').toBe('succeeded');

    const quarantined = await sql<{ line_number: number; reason_text: string }[]>`
      select line_number::int, reason_text from quarantined_line
      where load_key = ${execution.procedure_execution_id} order by line_number`;
    const expected = [
      ...bad.map((b, i) => ({ line: 6 + i, reason: b.reason })),
      { line: lines.length + 1, reason: /^malformed JSON/ },
    ];
    const sentLines = [...bad.map((b) => b.bytes), truncated];
    for (const [i, { line, reason }] of expected.entries()) {
      const row = quarantined.find((q) => q.line_number === line);
      expectQuarantined(
        `an archived line quarantined for ${reason.source}`,
        `line ${line}: ${new TextDecoder().decode(sentLines[i])}`,
        row?.reason_text,
        reason,
      );
    }
    expect(quarantined).toHaveLength(expected.length);

    // nothing from the bad lines; the good ones exactly as the legacy functions load them
    const [strays] =
      await sql`select count(*)::int as n from material_artifact where material_artifact_id between 990000 and 990099`;
    expect(strays?.n).toBe(0);
    await ingestLegacy(legacy, { products: store.legacy.products, orders: [], deletedProductIds: [] });
    const tables = await compareRawTables(legacy, sql);
    const side = (name: 'legacy' | 'new') =>
      Object.fromEntries(
        ['products', 'product_variants', 'assets', 'product_asset_mappings', 'tags', 'tag_classifications'].map((t) => [
          t,
          tables[t]?.[name] ?? [],
        ]),
      );
    expectSameTables(side('legacy'), side('new'));
    const [staged] = await sql`select count(*)::int as n from ingest_staged_object`;
    expect(staged?.n).toBe(0);
  });
});
