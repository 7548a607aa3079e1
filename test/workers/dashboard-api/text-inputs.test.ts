/**
 * Hostile text in every text parameter of the dashboard API (bad-input corpus, RELIABILITY.md):
 * SQL metacharacters, LIKE wildcards, quotes, template syntax, markup and unicode (combining
 * marks, bidi overrides, zero-width, astral characters) are valid text, so the API must take them
 * literally: a filter matches exactly the rows whose text contains or equals the value (the
 * expectation is computed here from the seeded rows, not by the API's SQL), a write stores exactly
 * the value and changes nothing else. One character over a field's limit is a 400 changing
 * nothing. Never a 5xx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '#shared/db/types.ts';
import {
  databaseFingerprint,
  expectLiteralMatch,
  expectReadBack,
  expectRefusedWithoutChange,
} from '../../support/reliability.ts';
import {
  type Api,
  type ApiResponse,
  openApiWithStaff,
  seedProduct,
  seedProductTag,
  type seedStaff,
  seedVariant,
} from './support/api.ts';

const HOSTILE = [
  "'; drop table person; --",
  "' or '1'='1",
  "O'Brien",
  '%',
  '_',
  '\\',
  '50%_off\\',
  '"double" `back`',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: template syntax is the hostile input here
  '$1 $$ ${x} {{x}}',
  '<script>alert(1)</script>',
  'ünïcödé Ünïcödé',
  '日本語のタグ',
  '🛒 cart 𝔘',
  'right\u202eleft',
  'zero\u200bwidth',
  'cafe\u0301',
  'tab\tand\nnewline',
] as const;

let api: Api;
let sql: Sql;
let staff: Awaited<ReturnType<typeof seedStaff>>;
/** The probe products: one per hostile value, in its title, SKU, vendor, product type and a tag. */
const probes: { id: number; value: string; title: string }[] = [];

beforeAll(async () => {
  ({ api, sql, staff } = await openApiWithStaff());
  for (const [i, value] of HOSTILE.entries()) {
    const id = 910_000 + i;
    const title = `probe ${i} ${value} end`;
    await seedProduct(sql, { id, title, handle: `probe-${i}`, vendor: value, product_type: value });
    await seedVariant(sql, { id: 920_000 + i, productId: id, sku: `sku-${i}` });
    const tag = await seedProductTag(sql, id, value.trim().toLowerCase(), 'manual');
    // its category is the hostile value too, so `category=` reads have rows to match and rows not to
    await sql`update tag_designation set category_name = ${value} where tag_designation_id = ${tag}`;
    probes.push({ id, value, title });
  }
  await seedProduct(sql, { id: 930_000, title: 'plain product', vendor: 'Plain', product_type: 'Plain' });
  const plain = await seedProductTag(sql, 930_000, 'plain', 'manual');
  await sql`update tag_designation set category_name = 'Plain' where tag_designation_id = ${plain}`;
});

afterAll(async () => {
  await sql.end({ timeout: 5 });
});

const query = (params: Record<string, string>) => new URLSearchParams(params).toString();

/**
 * A read with a hostile value, taken literally: 200 with exactly the expected rows (computed here
 * from the seeded rows, never empty), none of the seeded rows a wrong reading would also return
 * (every other probe: a LIKE pattern, an injected `or`, a case fold would match some of them),
 * and the database unchanged.
 */
async function expectLiteralRead(
  path: string,
  expected: { match: (string | number)[]; of: (string | number)[] },
  key: 'id' | 'name' = 'id',
) {
  const mustNotMatch = expected.of.filter((row) => !expected.match.includes(row));
  await expectLiteralMatch(
    sql,
    `GET ${path}`,
    async () => {
      const response = await api.get(path, { as: 'viewer' });
      expect(response.status, `${path}: ${JSON.stringify(response.body)}`).toBe(200);
      return {
        status: response.status,
        matched: (response.body.data as Record<string, string | number>[]).map((row) => row[key] as string | number),
      };
    },
    { match: expected.match, mustNotMatch },
  );
}

describe('hostile text in query parameters is matched literally', { tags: ['bad-input'] }, () => {
  it('GET /api/products?q= matches the title, handle or SKU as a literal, case-insensitive substring', async () => {
    const all = [...probes, { id: 930_000, value: '', title: 'plain product' }];
    for (const { value } of probes) {
      const match = all.filter((p) => p.title.toLowerCase().includes(value.toLowerCase())).map((p) => p.id);
      await expectLiteralRead(`/api/products?${query({ q: value, limit: '200' })}`, {
        match,
        of: all.map((p) => p.id),
      });
    }
  });

  it('GET /api/products?vendor=, product_type= and tag= match exactly', async () => {
    const ids = [...probes.map((p) => p.id), 930_000];
    for (const { id, value } of probes) {
      await expectLiteralRead(`/api/products?${query({ vendor: value, limit: '200' })}`, { match: [id], of: ids });
      await expectLiteralRead(`/api/products?${query({ product_type: value, limit: '200' })}`, {
        match: [id],
        of: ids,
      });
      await expectLiteralRead(`/api/products?${query({ tag: value, limit: '200' })}`, { match: [id], of: ids });
    }
  });

  it('GET /api/tags?q= and category= match the name and category literally', async () => {
    // every probe tag carries its hostile value as its category too (seeded above), plus a plain one
    const names = [...probes.map((p) => p.value.trim().toLowerCase()), 'plain'];
    for (const { value } of probes) {
      const name = value.trim().toLowerCase();
      await expectLiteralRead(
        `/api/tags?${query({ q: name })}`,
        { match: names.filter((n) => n.includes(name)), of: names },
        'name',
      );
      await expectLiteralRead(`/api/tags?${query({ category: value })}`, { match: [name], of: names }, 'name');
    }
  });
});

describe('hostile text in bodies is stored exactly as given', { tags: ['bad-input'] }, () => {
  /** A write with a hostile value: the expected status, and only `tables` changed (and the audit trail, which records every staff write). */
  async function expectOnlyChanged<T>(tables: string[], write: () => Promise<T>) {
    const except = [...tables, 'staff_action'];
    const before = await databaseFingerprint(sql, { except });
    const result = await write();
    expect(await databaseFingerprint(sql, { except }), `only ${tables.join(', ')} changed`).toEqual(before);
    return result;
  }
  /** A tag name is trimmed and lower-cased (one tag whatever the case): the only normalisation. */
  const tagName = (name: string) => name.trim().toLowerCase();

  it('POST /api/tags {name, category} and PATCH /api/tags/:id', async () => {
    for (const [i, value] of HOSTILE.entries()) {
      const name = `new ${i} ${value}`;
      const body = { name, category: value };
      const created = await expectOnlyChanged(['tag_designation'], () =>
        api.request('POST', '/api/tags', { as: 'staff', body }),
      );
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const [row] =
        await sql`select tag_name, category_name from tag_designation where tag_designation_id = ${created.body.id}`;
      const request = `POST /api/tags ${JSON.stringify(body)}`;
      expectReadBack('tag name', request, { sent: name, readBack: row?.tag_name, expected: tagName(name) });
      expectReadBack('tag category', request, { sent: value, readBack: row?.category_name });
      expect(created.body).toMatchObject({ name: row?.tag_name, category: value });

      const renamed = `renamed ${i} ${value}`;
      const patched = await expectOnlyChanged(['tag_designation'], () =>
        api.request('PATCH', `/api/tags/${created.body.id}`, { as: 'staff', body: { name: renamed } }),
      );
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      const [after] = await sql`select tag_name from tag_designation where tag_designation_id = ${created.body.id}`;
      expectReadBack('tag name', `PATCH /api/tags/:id ${JSON.stringify({ name: renamed })}`, {
        sent: renamed,
        readBack: after?.tag_name,
        expected: tagName(renamed),
      });
      expect(patched.body.name).toBe(after?.tag_name);
    }
  });

  it('POST /api/products/:id/tags {name}', async () => {
    const productId = 930_000;
    for (const [i, value] of HOSTILE.entries()) {
      const name = `applied ${i} ${value}`;
      const applied = await expectOnlyChanged(['tag_designation', 'tag_content_entity'], () =>
        api.request('POST', `/api/products/${productId}/tags`, { as: 'staff', body: { name } }),
      );
      expect(applied.status, JSON.stringify(applied.body)).toBe(201);
      const [row] = await sql`select t.tag_name from tag_designation t
                              join tag_content_entity c using (tag_designation_id)
                              where c.material_artifact_id = ${productId} and t.tag_name = ${applied.body.name}`;
      expectReadBack('product tag name', `POST /api/products/${productId}/tags ${JSON.stringify({ name })}`, {
        sent: name,
        readBack: row?.tag_name,
        expected: tagName(name),
      });
    }
    const [count] =
      await sql`select count(*)::int as n from tag_content_entity where material_artifact_id = ${productId}`;
    expect(count?.n, 'its seeded tag and one per value').toBe(HOSTILE.length + 1);
  });

  it('PUT /api/products/:id/classification {note}, POST /api/assets {alt_text}, PATCH /api/staff/:id {full_name}', async () => {
    for (const value of HOSTILE) {
      const override = await expectOnlyChanged(['nominal_classification'], () =>
        api.request('PUT', `/api/products/930000/classification`, {
          as: 'staff',
          body: { classification: 'B', note: value },
        }),
      );
      expect(override.status, JSON.stringify(override.body)).toBe(200);
      const [note] = await sql`select note_text from nominal_classification where material_artifact_id = 930000`;
      expectReadBack('classification note', `PUT /api/products/930000/classification {"note":…}`, {
        sent: value,
        readBack: note?.note_text,
      });

      const url = `https://cdn.example.com/${encodeURIComponent(value)}.png`;
      const asset = await expectOnlyChanged(['media_content_entity'], () =>
        api.request('POST', '/api/assets', { as: 'staff', body: { kind: 'image', url, alt_text: value } }),
      );
      expect(asset.status, JSON.stringify(asset.body)).toBe(201);
      const [stored] = await sql`select alt_text from media_content_entity where url = ${url}`;
      expectReadBack('asset alt_text', `POST /api/assets {"alt_text":…}`, { sent: value, readBack: stored?.alt_text });
      expect(asset.body.alt_text).toBe(value);

      const person = await expectOnlyChanged(['person'], () =>
        api.request('PATCH', `/api/staff/${staff.viewer}`, { as: 'admin', body: { full_name: value } }),
      );
      expect(person.status, JSON.stringify(person.body)).toBe(200);
      const [named] = await sql`select full_name from person where person_id = ${staff.viewer}`;
      expectReadBack('staff full_name', `PATCH /api/staff/:id {"full_name":…}`, {
        sent: value,
        readBack: named?.full_name,
      });
    }
  });
});

describe('text one character over its limit is a 400 that changes nothing', { tags: ['bad-input'] }, () => {
  const over = (limit: number) => 'ü'.repeat(limit + 1);
  const cases: { label: string; send: () => Promise<ApiResponse> }[] = [
    { label: 'products q (200)', send: () => api.get(`/api/products?${query({ q: over(200) })}`) },
    { label: 'products vendor (255)', send: () => api.get(`/api/products?${query({ vendor: over(255) })}`) },
    { label: 'tags q (255)', send: () => api.get(`/api/tags?${query({ q: over(255) })}`) },
    { label: 'tags category (100)', send: () => api.get(`/api/tags?${query({ category: over(100) })}`) },
    {
      label: 'tag name (255)',
      send: () => api.request('POST', '/api/tags', { as: 'staff', body: { name: over(255) } }),
    },
    {
      label: 'tag category (100)',
      send: () => api.request('POST', '/api/tags', { as: 'staff', body: { name: 'fine', category: over(100) } }),
    },
    {
      label: 'product tag name (255)',
      send: () => api.request('POST', '/api/products/930000/tags', { as: 'staff', body: { name: over(255) } }),
    },
    {
      label: 'classification note (500)',
      send: () =>
        api.request('PUT', '/api/products/930000/classification', {
          as: 'staff',
          body: { classification: 'A', note: over(500) },
        }),
    },
    {
      label: 'asset alt_text (1000)',
      send: () =>
        api.request('POST', '/api/assets', {
          as: 'staff',
          body: { kind: 'image', url: 'https://cdn.example.com/x.png', alt_text: over(1000) },
        }),
    },
    {
      label: 'asset url (2048)',
      send: () =>
        api.request('POST', '/api/assets', {
          as: 'staff',
          body: { kind: 'image', url: `https://cdn.example.com/${'a'.repeat(2048)}` },
        }),
    },
    {
      label: 'staff full_name (200)',
      send: () => api.request('PATCH', `/api/staff/${staff.viewer}`, { as: 'admin', body: { full_name: over(200) } }),
    },
  ];
  it.each(cases.map((c) => [c.label, c] as const))('%s', async (label, { send }) => {
    await expectRefusedWithoutChange(
      sql,
      async () => {
        const response = await send();
        expect(response.status, JSON.stringify(response.body)).toBe(400);
        expect(response.body.error.code).toBe('invalid_request');
        expect(JSON.stringify(response.body.error.details)).toMatch(/at most \d+ characters|https URL/);
        return response;
      },
      `${label}: one character over the limit`,
      { input: label },
    );
  });
});
