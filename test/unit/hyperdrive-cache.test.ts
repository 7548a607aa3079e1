/**
 * The Hyperdrive query cache emulation (scripts/lib/hyperdrive-cache.ts) against real Postgres,
 * through postgres.js (named prepared statements, pipelined) and the simple protocol. Its clock is
 * moved by the test, never waited for.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sql } from '#shared/db/types.ts';
import { type HyperdriveCache, startHyperdriveCache } from '../../scripts/lib/hyperdrive-cache.ts';
import { cacheability } from '../../scripts/lib/hyperdrive-cache-rules.ts';
import { hyperdriveCacheSettings } from '../../scripts/lib/hyperdrive-cache-settings.ts';
import { createTestDatabase, type TestDatabase } from '../support/node-databases.ts';

let database: TestDatabase;
let cache: HyperdriveCache;
let cached: Sql;
let clock = 1_000_000;
const SECOND = 1000;

beforeAll(async () => {
  database = await createTestDatabase('empty');
  await database.sql`create table item (id int primary key, name text not null)`;
  await database.sql`create sequence counter`;
  const url = new URL(database.url);
  cache = await startHyperdriveCache({
    upstream: { host: url.hostname, port: Number(url.port) },
    maxAgeSeconds: 60,
    staleWhileRevalidateSeconds: 15,
    now: () => clock,
  });
  cached = postgres(cache.urlFor(database.url), { max: 2, onnotice: () => {} });
});

afterAll(async () => {
  await cached?.end({ timeout: 5 });
  await cache?.close();
  await database?.drop();
});

beforeEach(async () => {
  await database.sql`truncate item`;
  cache.clear();
});

const names = async (sql: Sql = cached) =>
  (await sql<{ name: string }[]>`select name from item order by id`).map((row) => row.name);

describe('a cached read', () => {
  it('returns the old rows after a write until max_age, then once more while it revalidates, then the new ones', async () => {
    await cached`insert into item values (1, 'a')`;
    expect(await names()).toEqual(['a']);
    await cached`insert into item values (2, 'b')`;
    expect(await names(database.sql)).toEqual(['a', 'b']);

    clock += 59 * SECOND;
    expect(await names()).toEqual(['a']); // fresh entry
    clock += 2 * SECOND; // 61 s: stale, within stale_while_revalidate
    expect(await names()).toEqual(['a']);
    expect(await names()).toEqual(['a', 'b']); // the revalidated entry

    await cached`insert into item values (3, 'c')`;
    clock += 76 * SECOND; // past max_age + stale_while_revalidate: a miss
    expect(await names()).toEqual(['a', 'b', 'c']);
  });

  it('keys on the parameters: each value is its own entry', async () => {
    await cached`insert into item values (1, 'a'), (2, 'b')`;
    const byId = async (id: number) => (await cached`select name from item where id = ${id}`)[0]?.name;
    expect(await byId(1)).toBe('a');
    await cached`update item set name = 'B' where id = 2`;
    await cached`update item set name = 'A' where id = 1`;
    expect(await byId(2)).toBe('B'); // first read of this key
    expect(await byId(1)).toBe('a'); // still the cached entry
  });

  it('answers the simple protocol too', async () => {
    await cached`insert into item values (1, 'a')`;
    const simple = async () => (await cached.unsafe('select name from item order by id').simple()).map((r) => r.name);
    expect(await simple()).toEqual(['a']);
    await cached`insert into item values (2, 'b')`;
    expect(await simple()).toEqual(['a']);
  });

  it('starts empty for a database dropped and created again under the same name', async () => {
    const other = await createTestDatabase('empty');
    const name = new URL(other.url).pathname.slice(1);
    const through = postgres(cache.urlFor(other.url), { max: 1, onnotice: () => {} });
    await other.sql`create table t (v int)`;
    await other.sql`insert into t values (1)`;
    expect(await through`select v from t`).toEqual([{ v: 1 }]);
    await through.end();
    await other.sql.end();
    await database.sql.unsafe(`drop database "${name}" with (force)`);
    await database.sql.unsafe(`create database "${name}"`);
    const again = postgres(other.url, { max: 1, onnotice: () => {} });
    await again`create table t (v int)`;
    await again`insert into t values (2)`;
    await again.end();
    const through2 = postgres(cache.urlFor(other.url), { max: 1, onnotice: () => {} });
    expect(await through2`select v from t`).toEqual([{ v: 2 }]);
    await through2.end();
    await other.drop();
  });
});

describe('never cached', () => {
  it('writes run every time, including data-modifying CTEs and SELECT … FOR UPDATE', async () => {
    for (const id of [1, 2]) {
      await cached`with added as (insert into item values (${id}, 'x') returning id) select count(*)::int as n from added`;
    }
    expect(await names(database.sql)).toEqual(['x', 'x']);
    expect(await names()).toEqual(['x', 'x']);
    await database.sql`insert into item values (3, 'y')`;
    const locked = async () => (await cached`select name from item order by id for update`).map((r) => r.name);
    expect(await locked()).toEqual(['x', 'x', 'y']);
    await database.sql`insert into item values (4, 'z')`;
    expect(await locked()).toEqual(['x', 'x', 'y', 'z']);
  });

  it('queries calling a volatile or stable function (now(), random(), nextval, current_timestamp)', async () => {
    const next = async () => (await cached`select nextval('counter')::int as n`)[0]?.n;
    expect(await next()).toBe(1);
    expect(await next()).toBe(2);
    await cached`insert into item values (1, 'a')`;
    const fresh = async () => (await cached`select count(*)::int as n, now() as at from item`)[0]?.n;
    expect(await fresh()).toBe(1);
    await cached`insert into item values (2, 'b')`;
    expect(await fresh()).toBe(2);
    const stamped = async () =>
      (await cached`select count(*)::int as n from item where current_timestamp > '2000-01-01'`)[0]?.n;
    expect(await stamped()).toBe(2);
    await cached`insert into item values (3, 'c')`;
    expect(await stamped()).toBe(3);
  });
});

describe('transactions', () => {
  it('reads inside a transaction see current state, and do not fill the cache', async () => {
    await cached`insert into item values (1, 'a')`;
    expect(await names()).toEqual(['a']); // cached
    await database.sql`insert into item values (2, 'b')`;
    const inside = await cached.begin(async (tx) => {
      await tx`insert into item values (3, 'c')`;
      return names(tx as unknown as Sql);
    });
    expect(inside).toEqual(['a', 'b', 'c']);
    expect(await names()).toEqual(['a']); // the entry from before, untouched by the transaction
  });
});

describe('which queries are cacheable', () => {
  const functions = new Set(['now', 'random', 'nextval', 'pg_stat_get_live_tuples', 'statement_timestamp']);
  it.each([
    ['select * from item where id = $1', true],
    ['with x as (select 1) select * from x', true],
    ['select \'now()\' as text, "now" from t', true],
    ['select a.user from t a', true],
    ['insert into item values (1)', false],
    ['update item set name = $1', false],
    ['delete from item', false],
    ['merge into item using x on true when matched then do nothing', false],
    ['create table x (a int)', false],
    ['with d as (delete from item returning *) select * from d', false],
    ['select * into copy from item', false],
    ['select * from item for update', false],
    ['select * from item for no key update skip locked', false],
    ['select now()', false],
    ['select pg_catalog.now()', false],
    ['select * from t where at > current_timestamp', false],
    ['select random()', false],
    ['select relname, n_live_tup from pg_stat_user_tables where pg_stat_get_live_tuples(relid) > 0', false],
    ['select 1; select 2', false],
    ['begin', false],
    ['set search_path = x', false],
  ])('%s → %s', (sql, expected) => {
    expect(cacheability(sql, functions).cacheable).toBe(expected);
  });
});

describe('settings (HYPERDRIVE_CACHE, HYPERDRIVE_CACHE_MAX_AGE, HYPERDRIVE_CACHE_SWR)', () => {
  it("are on with Hyperdrive's defaults unless told otherwise, and name a value they cannot use", () => {
    expect(hyperdriveCacheSettings({})).toEqual({ enabled: true, maxAgeSeconds: 60, staleWhileRevalidateSeconds: 15 });
    expect(hyperdriveCacheSettings({ HYPERDRIVE_CACHE: 'OFF' }).enabled).toBe(false);
    expect(hyperdriveCacheSettings({ HYPERDRIVE_CACHE_MAX_AGE: '5', HYPERDRIVE_CACHE_SWR: '0' })).toMatchObject({
      maxAgeSeconds: 5,
      staleWhileRevalidateSeconds: 0,
    });
    expect(() => hyperdriveCacheSettings({ HYPERDRIVE_CACHE: 'maybe' })).toThrow('HYPERDRIVE_CACHE must be on or off');
    expect(() => hyperdriveCacheSettings({ HYPERDRIVE_CACHE_SWR: '-1' })).toThrow(
      'HYPERDRIVE_CACHE_SWR must be whole seconds',
    );
  });
});
