import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateStore, type StoreOptions } from '#scripts/store-generator/generate.ts';
import type { Sql } from '#shared/db/types.ts';
import type { Env } from '#shared/env.ts';
import { loadJsonlLines } from '#shared/ingest/load.ts';
import { refundsStep } from '#shared/ingest/refunds-fetch.ts';
import { recordExecution } from '#shared/procedures/execution.ts';
import { openTestSql } from '../support/test-sql.ts';
import { simulator } from './support/simulator.ts';

const bindings = env as unknown as Env;
const STORE: StoreOptions = { seed: 43, products: 20, orders: 240 };
const store = generateStore(STORE);
let sql: Sql;

beforeAll(async () => {
  sql = openTestSql();
  await simulator.reset();
  await simulator.setStore({ generate: STORE });
});
afterAll(async () => {
  await simulator.reset();
  await sql.end({ timeout: 5 });
});
beforeEach(async () => {
  await simulator.reset();
  await sql`truncate material_artifact, act_of_sale, media_content_entity, tag_designation, quarantined_line,
            ingest_staged_object, information_bearing_entity, procedure_execution, sync_cursor cascade`;
  // the orders export loaded: it says which orders have refunds, and their line items
  await loadJsonlLines(sql, 'products', store.fixture.products);
  await loadJsonlLines(sql, 'orders', store.fixture.orders);
});

/** Runs the refunds phase step after step, as the orders sync does; the steps it took. */
async function runRefunds(options: { budgetMs?: number; ordersPerChunk?: number }) {
  const execution = await recordExecution(sql, { kind: 'orders', triggerSource: 'test' });
  let afterOrderId: string | undefined;
  const steps: { rows: number; archived: number }[] = [];
  for (;;) {
    const step = await refundsStep({
      sql,
      env: bindings,
      procedureExecutionId: execution.procedure_execution_id,
      window: { from: null, to: new Date().toISOString() },
      afterOrderId,
      ...options,
    });
    steps.push({ rows: step.rows, archived: step.archived.length });
    afterOrderId = step.afterOrderId;
    if (step.done) return steps;
  }
}

const refundLines = () => sql<{ id: string; refund: string; quantity: number; amount: string }[]>`
  select act_of_refund_line_id::text as id, act_of_refund_id::text as refund, quantity_count as quantity, subtotal_measurement_value::text as amount
  from act_of_refund_line order by 1`;

describe('the refunds phase', () => {
  const refunds = store.fixture.refunds.map(
    (line) => JSON.parse(line) as { refundLineItems: { nodes: { id: string }[] } },
  );

  it('loads every refund line of the refunded orders, in one step while the budget lasts', async () => {
    const steps = await runRefunds({ ordersPerChunk: 4 });
    expect(steps).toHaveLength(1);
    expect(steps[0]?.archived).toBeGreaterThan(2);
    const lines = await refundLines();
    expect(lines.map((l) => `gid://shopify/RefundLineItem/${l.id}`).sort()).toEqual(
      refunds.flatMap((r) => r.refundLineItems.nodes.map((n) => n.id)).sort(),
    );
    const requests = (await simulator.requests()) as { kind: string; outcome?: string; requestedQueryCost?: number }[];
    const graphql = requests.filter((r) => r.kind === 'graphql');
    expect(graphql.every((r) => r.outcome === 'ok' && (r.requestedQueryCost ?? 0) <= 1000)).toBe(true);
  });

  it('ends a step when its budget is spent and resumes from the last order loaded, to the same rows', async () => {
    await runRefunds({ ordersPerChunk: 40 });
    const whole = await refundLines();
    await sql`truncate act_of_refund_line`;
    const steps = await runRefunds({ budgetMs: 0, ordersPerChunk: 4 });
    // one chunk a step: each step checkpoints what it loaded
    expect(steps.length).toBeGreaterThan(2);
    expect(steps.slice(0, -1).every((s) => s.archived === 1)).toBe(true);
    expect(await refundLines()).toEqual(whole);
  });
});
