/**
 * Every route with every role, a service token, an unknown identity and no identity: 401 without
 * a token, 403 below the route's role or for an unknown identity, the route's success status at
 * or above it; refused writes change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleRank } from '#shared/access/roles.ts';
import type { Sql } from '#shared/db/types.ts';
import { expectRefusedWithoutChange } from '../../support/reliability.ts';
import {
  type Api,
  type Caller,
  createApi,
  openTestSql,
  ROLES,
  type Role,
  SERVICE_TOKEN,
  seedStaff,
} from './support/api.ts';
import { PUBLIC_ROUTES, type RouteCase, type RouteFixtures, routeCases, seedRouteFixtures } from './support/routes.ts';

let api: Api;
let sql: Sql;
let cases: RouteCase[];
let n = 0;

/** The route templates with their minimum roles, known before the fixtures exist. */
const TEMPLATES = routeCases(undefined as unknown as Sql, undefined as unknown as RouteFixtures);

beforeAll(async () => {
  api = await createApi();
  sql = openTestSql();
  const staff = await seedStaff(sql);
  cases = routeCases(sql, await seedRouteFixtures(sql, staff.viewer));
});

afterAll(async () => {
  await sql.end({ timeout: 5 });
});

const CALLERS: { name: string; caller: Caller; role: Role | null }[] = [
  { name: 'no identity', caller: null, role: null },
  ...ROLES.map((role) => ({ name: role, caller: role, role })),
  { name: 'service token (staff)', caller: { commonName: SERVICE_TOKEN }, role: 'staff' as const },
  { name: 'unknown email', caller: { email: 'nobody@example.com' }, role: null },
];

describe('the role matrix', () => {
  it('covers every route of the OpenAPI document', async () => {
    const document = (await api.get('/openapi.json', { as: null })).body as { paths: Record<string, object> };
    const documented = Object.entries(document.paths)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    const covered = [
      ...cases.map((c) => `${c.method} ${c.path}`),
      ...PUBLIC_ROUTES.filter((r) => r.path === '/health').map((r) => `${r.method} ${r.path}`),
    ].sort();
    expect(covered).toEqual(documented);
  });

  it('lets anyone reach /health, /openapi.json and /docs', async () => {
    for (const route of PUBLIC_ROUTES) {
      for (const { caller } of CALLERS) {
        const response = await api.request(route.method, route.path, { as: caller });
        expect(response.status, `${route.path} as ${JSON.stringify(caller)}`).toBe(200);
      }
    }
  });

  // A refused call (401/403) is a bad input: counted, and every table must be as it was. Callers
  // allowed on every route (admin, master) refuse nothing, so their rows are not bad-input tests.
  const allowed = (who: (typeof CALLERS)[number], minimum: Role) =>
    who.caller !== null && who.role !== null && roleRank(who.role) >= roleRank(minimum);
  const refusedSomewhere = (who: (typeof CALLERS)[number]) => TEMPLATES.some((t) => !allowed(who, t.minimum));
  const answersAsItsRoleAllows = async (_: string, who: (typeof CALLERS)[number]) => {
    for (const route of cases) {
      const call = await route.valid(n++);
      const label = `${route.method} ${call.path}`;
      if (allowed(who, route.minimum)) {
        const response = await api.request(route.method, call.path, { as: who.caller, body: call.body });
        expect(response.status, `${label}: ${JSON.stringify(response.body)}`).toBe(route.success);
        continue;
      }
      await expectRefusedWithoutChange(
        sql,
        async () => {
          const response = await api.request(route.method, call.path, { as: who.caller, body: call.body });
          if (who.caller === null) {
            expect(response.status, label).toBe(401);
            expect(response.body.error.code).toBe('unauthenticated');
          } else {
            expect(response.status, label).toBe(403);
            expect(response.body.error.code).toBe('forbidden');
          }
          return response;
        },
        `${label} as ${who.name}`,
        { input: `${route.method} ${route.path} as ${who.name}` },
      );
    }
  };
  it.each(CALLERS.filter(refusedSomewhere).map((c) => [c.name, c] as const))(
    'answers %s on every /api route as its role allows',
    { tags: ['bad-input'] },
    answersAsItsRoleAllows,
  );
  it.each(CALLERS.filter((c) => !refusedSomewhere(c)).map((c) => [c.name, c] as const))(
    'answers %s on every /api route (it may call them all)',
    answersAsItsRoleAllows,
  );
});
