import { env } from 'cloudflare:workers';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateStore } from '../../../scripts/store-generator/generate.ts';
import { loadJsonlLines } from '../../../workers/shared/ingest/load.ts';
import type { ResourceName } from '../../../workers/shared/ingest/shopify-objects.ts';
import { compareRawTables, ingestLegacy } from './support/raw-tables.ts';

let sql: postgres.Sql;
let legacy: postgres.Sql;

beforeAll(() => {
  sql = postgres(env.HYPERDRIVE.connectionString, { max: 2, fetch_types: false, onnotice: () => {} });
  legacy = postgres(env.LEGACY_HYPERDRIVE.connectionString, { max: 2, fetch_types: false, onnotice: () => {} });
});
afterAll(async () => {
  await sql.end({ timeout: 5 });
  await legacy.end({ timeout: 5 });
});

const RESOURCE_ORDER: ResourceName[] = ['products', 'orders', 'refunds', 'deletions'];

async function resetBoth() {
  await sql`truncate material_artifact, act_of_sale, media_content_entity, tag_designation, quarantined_line, ingest_staged_object cascade`;
  await legacy`truncate products, orders, assets, tags cascade`;
}

describe('loadJsonlLines', () => {
  it('loads a generated store with shuffled children into the same raw rows the legacy functions write', async () => {
    await resetBoth();
    const store = generateStore({ seed: 11, products: 60, orders: 250, shuffleChildren: true });
    for (const resource of RESOURCE_ORDER) {
      const summary = await loadJsonlLines(sql, resource, store.fixture[resource]);
      expect(summary.quarantined, resource).toBe(0);
      expect(summary.staged, resource).toBe(store.fixture[resource].length);
    }
    await ingestLegacy(legacy, store.legacy);
    const tables = await compareRawTables(legacy, sql);
    for (const [table, sides] of Object.entries(tables)) {
      expect(sides.new.length, table).toBeGreaterThan(0);
      expect(sides.new, table).toEqual(sides.legacy);
    }
    const [left] = await sql`select count(*)::int as staged from ingest_staged_object`;
    expect(left?.staged).toBe(0);
  });
});
