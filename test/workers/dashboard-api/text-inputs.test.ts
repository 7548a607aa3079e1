/**
 * Hostile text in every text parameter of the dashboard API (bad-input corpus, RELIABILITY.md):
 * SQL metacharacters, LIKE wildcards, quotes, template syntax, markup and unicode (combining
 * marks, bidi overrides, zero-width, astral characters) are valid text, so the API must take them
 * literally: a filter matches exactly the rows whose text contains or equals the value (the
 * expectation is computed here from the seeded rows, not by the API's SQL), a write stores exactly
 * the value and changes nothing else. One character over a field's limit is a 400 changing
 * nothing. Never a 5xx.
 */
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseFingerprint, expectRefusedWithoutChange, takenLiterally } from '../../support/reliability.ts';
import {
  type Api,
  type ApiResponse,
  createApi,
  openTestSql,
  seedProduct,
  seedProductTag,
  seedStaff,
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
let sql: postgres.Sql;
let staff: Awaited<ReturnType<typeof seedStaff>>;
/** The probe products: one per hostile value, in its title, SKU, vendor, product type and a tag. */
const probes: { id: number; value: string; title: string }[] = [];

beforeAll(async () => {
  api = await createApi();
  sql = openTestSql();
  staff = await seedStaff(sql);
  for (const [i, value] of HOSTILE.entries()) {
    const id = 910_000 + i;
    const title = `probe ${i} ${value} end`;
    await seedProduct(sql, { id, title, handle: `probe-${i}`, vendor: value, product_type: value });
    await seedVariant(sql, { id: 920_000 + i, productId: id, sku: `sku-${i}` });
    await seedProductTag(sql, id, value.trim().toLowerCase(), 'manual');
    probes.push({ id, value, title });
  }
  await seedProduct(sql, { id: 930_000, title: 'plain product', vendor: 'Plain', product_type: 'Plain' });
});

afterAll(async () => {
  await sql.end({ timeout: 5 });
});

const query = (params: Record<string, string>) => new URLSearchParams(params).toString();

/** A read with a hostile value: 200, exactly the expected rows, the database unchanged. */
async function expectLiteralRead(path: string, expected: (string | number)[], key: 'id' | 'name' = 'id') {
  await takenLiterally(async () => {
    const before = await databaseFingerprint(sql);
    const response = await api.get(path, { as: 'viewer' });
    expect(response.status, `${path}: ${JSON.stringify(response.body)}`).toBe(200);
    const got = (response.body.data as Record<string, string | number>[]).map((row) => row[key]);
    expect(got.sort(), path).toEqual([...expected].sort());
    expect(await databaseFingerprint(sql), `${path} changed the database`).toEqual(before);
  });
}

describe('hostile text in query parameters is matched literally', { tags: ['bad-input'] }, () => {
  it('GET /api/products?q= matches the title, handle or SKU as a literal, case-insensitive substring', async () => {
    const all = [...probes, { id: 930_000, value: '', title: 'plain product' }];
    for (const { value } of probes) {
      const expected = all.filter((p) => p.title.toLowerCase().includes(value.toLowerCase())).map((p) => p.id);
      expect(expected.length, value).toBeGreaterThan(0);
      await expectLiteralRead(`/api/products?${query({ q: value, limit: '200' })}`, expected);
    }
  });

  it('GET /api/products?vendor=, product_type= and tag= match exactly', async () => {
    for (const { id, value } of probes) {
      await expectLiteralRead(`/api/products?${query({ vendor: value, limit: '200' })}`, [id]);
      await expectLiteralRead(`/api/products?${query({ product_type: value, limit: '200' })}`, [id]);
      await expectLiteralRead(`/api/products?${query({ tag: value, limit: '200' })}`, [id]);
    }
  });

  it('GET /api/tags?q= and category= match the name and category literally', async () => {
    const names = probes.map((p) => p.value.trim().toLowerCase());
    for (const name of names) {
      await expectLiteralRead(
        `/api/tags?${query({ q: name })}`,
        names.filter((n) => n.includes(name)),
        'name',
      );
      await expectLiteralRead(`/api/tags?${query({ category: name })}`, [], 'name');
    }
  });
});

describe('hostile text in bodies is stored exactly as given', { tags: ['bad-input'] }, () => {
  /**
   * A write with a hostile value: the expected status, only `table` changed (and the audit trail,
   * which records every staff write), the stored value read back.
   */
  async function expectLiteralWrite<T>(table: string, write: () => Promise<T>) {
    return takenLiterally(async () => {
      const before = await databaseFingerprint(sql, { except: [table, 'staff_action'] });
      const result = await write();
      expect(await databaseFingerprint(sql, { except: [table, 'staff_action'] }), `only ${table} changed`).toEqual(
        before,
      );
      return result;
    });
  }

  it('POST /api/tags {name, category} and PATCH /api/tags/:id', async () => {
    for (const [i, value] of HOSTILE.entries()) {
      const name = `new ${i} ${value}`;
      const created = await expectLiteralWrite('tag_designation', () =>
        api.request('POST', '/api/tags', { as: 'staff', body: { name, category: value } }),
      );
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body).toMatchObject({ name: name.trim().toLowerCase(), category: value });
      const [row] =
        await sql`select tag_name, category_name from tag_designation where tag_designation_id = ${created.body.id}`;
      expect(row).toEqual({ tag_name: name.trim().toLowerCase(), category_name: value });

      const renamed = `renamed ${i} ${value}`;
      const patched = await expectLiteralWrite('tag_designation', () =>
        api.request('PATCH', `/api/tags/${created.body.id}`, { as: 'staff', body: { name: renamed } }),
      );
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      expect(patched.body.name).toBe(renamed.trim().toLowerCase());
    }
  });

  it('POST /api/products/:id/tags {name}', async () => {
    const productId = 930_000;
    for (const [i, value] of HOSTILE.entries()) {
      const name = `applied ${i} ${value}`;
      const applied = await takenLiterally(async () => {
        const changed = ['tag_designation', 'tag_content_entity', 'staff_action'];
        const before = await databaseFingerprint(sql, { except: changed });
        const response = await api.request('POST', `/api/products/${productId}/tags`, { as: 'staff', body: { name } });
        expect(await databaseFingerprint(sql, { except: changed })).toEqual(before);
        return response;
      });
      expect(applied.status, JSON.stringify(applied.body)).toBe(201);
      expect(applied.body.name).toBe(name.trim().toLowerCase());
    }
    const [count] =
      await sql`select count(*)::int as n from tag_content_entity where material_artifact_id = ${productId}`;
    expect(count?.n).toBe(HOSTILE.length);
  });

  it('PUT /api/products/:id/classification {note}, POST /api/assets {alt_text}, PATCH /api/staff/:id {full_name}', async () => {
    for (const value of HOSTILE) {
      const override = await expectLiteralWrite('nominal_classification', () =>
        api.request('PUT', `/api/products/930000/classification`, {
          as: 'staff',
          body: { classification: 'B', note: value },
        }),
      );
      expect(override.status, JSON.stringify(override.body)).toBe(200);
      const [note] = await sql`select note_text from nominal_classification where material_artifact_id = 930000`;
      expect(Object.values(note ?? {})).toEqual([value]);

      const asset = await expectLiteralWrite('media_content_entity', () =>
        api.request('POST', '/api/assets', {
          as: 'staff',
          body: { kind: 'image', url: `https://cdn.example.com/${encodeURIComponent(value)}.png`, alt_text: value },
        }),
      );
      expect(asset.status, JSON.stringify(asset.body)).toBe(201);
      expect(asset.body.alt_text).toBe(value);

      const person = await expectLiteralWrite('person', () =>
        api.request('PATCH', `/api/staff/${staff.viewer}`, { as: 'admin', body: { full_name: value } }),
      );
      expect(person.status, JSON.stringify(person.body)).toBe(200);
      const [stored] = await sql`select full_name from person where person_id = ${staff.viewer}`;
      expect(stored?.full_name).toBe(value);
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
      },
      label,
    );
  });
});
