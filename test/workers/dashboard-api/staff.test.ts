/** Scenario 14: /api/me, the staff list and role changes, through workerd against Postgres. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '#shared/db/types.ts';
import { type Api, createApi, openTestSql, ROLES, type Role, STAFF_EMAILS, seedStaff } from './support/api.ts';

let api: Api;
let sql: Sql;
let ids: Record<Role, string>;

beforeAll(async () => {
  api = await createApi();
  sql = openTestSql();
  ids = await seedStaff(sql);
});

afterAll(async () => {
  await sql.end({ timeout: 5 });
});

async function addPerson(email: string, role: Role): Promise<string> {
  const [row] = await sql<{ person_id: string }[]>`
    insert into person (email, full_name, role_name) values (${email}, null, ${role}) returning person_id`;
  return row?.person_id as string;
}

const patchStaff = (as: Role, id: string, body: unknown) => api.request('PATCH', `/api/staff/${id}`, { as, body });

describe('GET /api/me', () => {
  it.each(ROLES)('tells a %s who they are', async (role) => {
    const response = await api.get('/api/me', { as: role });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ id: ids[role], email: STAFF_EMAILS[role], full_name: `The ${role}`, role });
  });
});

describe('GET /api/staff', () => {
  it('lists every staff member by email for admins and masters', async () => {
    for (const role of ['admin', 'master'] as const) {
      const response = await api.get('/api/staff', { as: role });
      expect(response.status).toBe(200);
      const rows = await sql<{ person_id: string; email: string; role_name: string }[]>`
        select person_id, email, role_name from person order by email`;
      expect(
        response.body.data.map((p: { id: string; email: string; role: string }) => [p.id, p.email, p.role]),
      ).toEqual(rows.map((r) => [r.person_id, r.email, r.role_name]));
      expect(response.body.data[0]).toEqual({
        id: ids.admin,
        email: 'admin@example.com',
        full_name: 'The admin',
        role: 'admin',
        created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      });
    }
  });

  it('is 403 for viewers and staff', async () => {
    for (const role of ['viewer', 'staff'] as const) {
      const response = await api.get('/api/staff', { as: role });
      expect(response.status).toBe(403);
      expect(response.body.error).toEqual({
        code: 'forbidden',
        message: `this needs the admin role; you have ${role}`,
      });
    }
  });
});

describe('PATCH /api/staff/:id', () => {
  it('lets an admin promote a viewer to staff and rename them', async () => {
    const id = await addPerson('newbie@example.com', 'viewer');
    const response = await patchStaff('admin', id, { role: 'staff', full_name: 'New Bie' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id, email: 'newbie@example.com', full_name: 'New Bie', role: 'staff' });
  });

  it('needs a master to grant admin or master, or to change an admin', async () => {
    const id = await addPerson('rising@example.com', 'staff');
    for (const role of ['admin', 'master'] as const) {
      const refused = await patchStaff('admin', id, { role });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('forbidden');
    }
    const otherAdmin = await addPerson('other-admin@example.com', 'admin');
    expect((await patchStaff('admin', otherAdmin, { role: 'viewer' })).status).toBe(403);
    expect((await patchStaff('master', id, { role: 'admin' })).body.role).toBe('admin');
    expect((await patchStaff('master', otherAdmin, { role: 'viewer' })).body.role).toBe('viewer');
    const [row] = await sql`select role_name from person where person_id = ${id}`;
    expect(row?.role_name).toBe('admin');
  });

  it('refuses to demote the last master with 409', async () => {
    const response = await patchStaff('master', ids.master, { role: 'admin' });
    expect(response.status).toBe(409);
    expect(response.body.error.message).toContain('last master');
    const [row] = await sql`select role_name from person where person_id = ${ids.master}`;
    expect(row?.role_name).toBe('master');
    // renaming the last master is fine
    expect((await patchStaff('master', ids.master, { full_name: 'The master' })).status).toBe(200);
  });

  it('leaves one master when two masters demote each other at the same time', async () => {
    const second = await addPerson('second-master@example.com', 'master');
    const secondToken = { email: 'second-master@example.com' };
    const results = await Promise.all([
      api.request('PATCH', `/api/staff/${second}`, { as: 'master', body: { role: 'staff' } }),
      api.request('PATCH', `/api/staff/${ids.master}`, { as: secondToken, body: { role: 'staff' } }),
    ]);
    // One wins. The other is refused: 409 (last master) when it read its own role before the
    // winner committed, 403 when it was already demoted by then.
    const statuses = results.map((r) => r.status).sort();
    expect(statuses[0]).toBe(200);
    expect([403, 409]).toContain(statuses[1]);
    const masters = await sql`select email from person where role_name = 'master'`;
    expect(masters).toHaveLength(1);
    // restore the seeded master for the tests that follow
    await sql`update person set role_name = 'master' where person_id = ${ids.master}`;
  });

  it('is 404 for an unknown person and 400 for an unknown role or extra fields', async () => {
    expect((await patchStaff('admin', '00000000-0000-4000-8000-000000000000', { full_name: 'x' })).status).toBe(404);
    expect((await patchStaff('admin', ids.viewer, { role: 'owner' })).status).toBe(400);
    expect((await patchStaff('admin', ids.viewer, { email: 'x@example.com' })).status).toBe(400);
  });
});
