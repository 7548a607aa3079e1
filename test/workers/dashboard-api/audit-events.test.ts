/**
 * The audit trail (issue 16): every staff and admin write records who, when, what, on what, before
 * and after, in the write's own transaction (a refused write records nothing); the record is
 * append-only in the database; admins read it, paginated and filtered, through GET /api/audit-events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '#shared/db/types.ts';
import { expectRefusedWithoutChange } from '../../support/reliability.ts';
import { type Api, createApi, openTestSql, type Role, seedProduct, seedProductTag, seedStaff } from './support/api.ts';

let api: Api;
let sql: Sql;
let people: Record<Role, string>;

const PRODUCT = 760_001;

beforeAll(async () => {
  api = await createApi();
  sql = openTestSql();
  people = await seedStaff(sql);
  await seedProduct(sql, { id: PRODUCT });
});

afterAll(async () => {
  await sql.end({ timeout: 5 });
});

interface AuditEvent {
  id: string;
  performed_at: string;
  actor: { person_id: string | null; description: string };
  kind: string;
  target: { kind: string; id: string };
  before: unknown;
  after: unknown;
  request_id: string | null;
}

async function eventsFor(targetId: string | number): Promise<AuditEvent[]> {
  const response = await api.get(`/api/audit-events?target_id=${targetId}&limit=200`, { as: 'admin' });
  expect(response.status).toBe(200);
  return response.body.data;
}

const count = async () => Number((await sql<{ n: string }[]>`select count(*) as n from staff_action`)[0]?.n ?? 0);

describe('every staff write records who, what, the target, before and after', () => {
  it('tags: create, rename, apply to a product, remove from it, delete', async () => {
    const created = await api.request('POST', '/api/tags', { as: 'staff', body: { name: 'Audit Me' } });
    expect(created.status).toBe(201);
    const tagId = created.body.id as string;
    await api.request('PATCH', `/api/tags/${tagId}`, { as: 'staff', body: { name: 'audited', color: '#112233' } });
    const applied = await api.request('POST', `/api/products/${PRODUCT}/tags`, {
      as: 'staff',
      body: { tag_id: tagId },
    });
    expect(applied.status).toBe(201);
    await api.request('DELETE', `/api/products/${PRODUCT}/tags/${tagId}`, { as: 'staff' });
    expect((await api.request('DELETE', `/api/tags/${tagId}`, { as: 'staff' })).status).toBe(204);

    const onTag = await eventsFor(tagId);
    expect(onTag.map((e) => e.kind)).toEqual(['tag.delete', 'tag.update', 'tag.create']);
    const [deleted, renamed, creation] = onTag as [AuditEvent, AuditEvent, AuditEvent];
    expect(creation).toMatchObject({
      actor: { person_id: people.staff, description: 'staff@example.com' },
      target: { kind: 'tag', id: tagId },
      before: null,
      after: { id: tagId, name: 'audit me', color: null },
      request_id: expect.any(String),
    });
    expect(renamed).toMatchObject({
      before: { name: 'audit me', color: null },
      after: { name: 'audited', color: '#112233' },
    });
    expect(deleted).toMatchObject({ before: { name: 'audited' }, after: null });
    const onProduct = await eventsFor(PRODUCT);
    expect(onProduct.slice(0, 2).map((e) => [e.kind, e.target])).toEqual([
      ['product_tag.remove', { kind: 'product', id: String(PRODUCT) }],
      ['product_tag.add', { kind: 'product', id: String(PRODUCT) }],
    ]);
  });

  it('classification overrides, assets and their mappings, role changes, recompute, sync and parity triggers', async () => {
    await api.request('PUT', `/api/products/${PRODUCT}/classification`, {
      as: 'staff',
      body: { classification: 'A', note: 'hero product' },
    });
    await api.request('DELETE', `/api/products/${PRODUCT}/classification`, { as: 'staff' });
    const overrides = (await eventsFor(PRODUCT)).filter((e) => e.kind.startsWith('classification_override'));
    expect(overrides.map((e) => e.kind)).toEqual(['classification_override.remove', 'classification_override.set']);
    expect(overrides[1]?.after).toMatchObject({ value: 'A', is_manual: true, note: 'hero product' });
    expect(overrides[0]?.before).toMatchObject({ value: 'A', is_manual: true });

    const asset = await api.request('POST', '/api/assets', {
      as: 'staff',
      body: { kind: 'image', url: 'https://cdn.example.com/audit.png' },
    });
    const mapping = await api.request('POST', `/api/products/${PRODUCT}/assets`, {
      as: 'staff',
      body: { asset_id: asset.body.id },
    });
    await api.request('PATCH', `/api/asset-mappings/${mapping.body.mapping_id}`, {
      as: 'staff',
      body: { role: 'featured' },
    });
    await api.request('DELETE', `/api/asset-mappings/${mapping.body.mapping_id}`, { as: 'staff' });
    expect((await eventsFor(asset.body.id)).map((e) => e.kind)).toEqual(['asset.create']);
    const mappingEvents = await eventsFor(mapping.body.mapping_id);
    expect(mappingEvents.map((e) => e.kind)).toEqual([
      'asset_mapping.delete',
      'asset_mapping.update',
      'asset_mapping.create',
    ]);
    expect(mappingEvents[1]).toMatchObject({ before: { role: 'gallery' }, after: { role: 'featured' } });

    const promoted = await api.request('PATCH', `/api/staff/${people.viewer}`, {
      as: 'admin',
      body: { role: 'staff' },
    });
    expect(promoted.status).toBe(200);
    await api.request('PATCH', `/api/staff/${people.viewer}`, { as: 'admin', body: { role: 'viewer' } });
    const roles = await eventsFor(people.viewer);
    expect(roles.slice(0, 2).map((e) => [e.kind, e.before, e.after, e.actor.description])).toEqual([
      [
        'staff.update',
        { role: 'staff', full_name: 'The viewer' },
        { role: 'viewer', full_name: 'The viewer' },
        'admin@example.com',
      ],
      [
        'staff.update',
        { role: 'viewer', full_name: 'The viewer' },
        { role: 'staff', full_name: 'The viewer' },
        'admin@example.com',
      ],
    ]);

    await api.request('POST', '/api/classifications/recompute', { as: 'staff', body: {} });
    const sync = await api.request('POST', '/api/sync-runs', { as: 'staff', body: { kind: 'marts' } });
    expect(sync.status).toBe(202);
    const parity = await api.request('POST', '/api/parity-checks', { as: 'staff', body: { tolerance: 0.02 } });
    expect(parity.status).toBe(202);
    expect((await eventsFor(sync.body.id)).map((e) => [e.kind, e.target.kind])).toEqual([
      ['sync.trigger', 'procedure_execution'],
    ]);
    expect((await eventsFor(parity.body.id))[0]).toMatchObject({
      kind: 'parity_check.trigger',
      after: { procedure_kind: 'parity_check', parameters: { tolerance: 0.02 } },
    });
    const recompute = await api.get('/api/audit-events?kind=classification.recompute', { as: 'admin' });
    expect(recompute.body.data[0]).toMatchObject({ target: { kind: 'classification', id: 'all' } });
    await sql`update procedure_execution set status = 'succeeded', finished_at = now() where status = 'queued'`;
  });

  it('a refused write records nothing (the record shares its transaction)', async () => {
    const shopifyTag = await seedProductTag(sql, PRODUCT, `from shopify ${crypto.randomUUID()}`, 'shopify');
    const before = await count();
    expect((await api.request('DELETE', `/api/tags/${shopifyTag}`, { as: 'staff' })).status).toBe(409);
    expect(
      (await api.request('PATCH', `/api/staff/${people.master}`, { as: 'admin', body: { role: 'viewer' } })).status,
    ).toBe(403);
    expect((await api.request('POST', '/api/tags', { as: 'viewer', body: { name: 'nope' } })).status).toBe(403);
    expect(await count()).toBe(before);
  });
});

describe('GET /api/audit-events', () => {
  it('is for admins, newest first, paginated, and filtered by person, target and kind', async () => {
    expect((await api.get('/api/audit-events', { as: 'staff' })).status).toBe(403);
    for (let n = 0; n < 3; n++) {
      await api.request('POST', '/api/tags', { as: 'admin', body: { name: `page ${n} ${crypto.randomUUID()}` } });
    }
    const first = await api.get(`/api/audit-events?person=${people.admin}&kind=tag.create&limit=2`, { as: 'admin' });
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    for (const event of first.body.data)
      expect(event).toMatchObject({ kind: 'tag.create', actor: { person_id: people.admin } });
    const second = await api.get(
      `/api/audit-events?person=${people.admin}&kind=tag.create&limit=2&cursor=${first.body.next_cursor}`,
      { as: 'admin' },
    );
    const ids = [...first.body.data, ...second.body.data].map((e: AuditEvent) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    const times = [...first.body.data, ...second.body.data].map((e: AuditEvent) => e.performed_at);
    expect(times).toEqual([...times].sort().reverse());
    const byTargetKind = await api.get('/api/audit-events?target_kind=person', { as: 'admin' });
    for (const event of byTargetKind.body.data) expect(event.target.kind).toBe('person');
  });

  it('answers forged or oversized filters with the envelope', { tags: ['bad-input'] }, async () => {
    for (const query of [
      'person=not-a-uuid',
      'kind=tag.drop',
      'target_kind=everything',
      `target_id=${'9'.repeat(201)}`,
      "target_id=1' or '1'='1",
      'cursor=bogus',
      `cursor=${btoa(JSON.stringify({ k: '1', id: 'x' }))}`,
      'limit=100000',
    ]) {
      await expectRefusedWithoutChange(
        sql,
        async () => {
          const response = await api.get(`/api/audit-events?${query}`, { as: 'admin' });
          expect(response.status, query).toBe(400);
          expect(response.body.error.code, query).toBe('invalid_request');
          return response;
        },
        `GET /api/audit-events?${query}`,
      );
    }
  });

  it('no route changes or removes an entry; the database refuses updates, deletes and truncation', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const response = await api.request(method, '/api/audit-events', { as: 'master', body: {} });
      expect(response.status, method).toBe(404);
    }
    const document = (await api.get('/openapi.json', { as: null })).body;
    expect(Object.keys(document.paths['/api/audit-events'])).toEqual(['get']);
    expect(document.paths['/api/audit-events'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['person', 'target_kind', 'target_id', 'kind', 'limit', 'cursor']),
    );
    const before = await count();
    await expect(sql`update staff_action set actor_description = 'someone else'`).rejects.toThrow(/append-only/);
    await expect(sql`delete from staff_action`).rejects.toThrow(/append-only/);
    await expect(sql`truncate staff_action`).rejects.toThrow(/append-only/);
    expect(await count()).toBe(before);
  });
});
