/**
 * What the mapping and tag checks share: a table that relates products to members (assets, tags),
 * compared by its row count (the check's verdict), its rows per source (shopify/manual), and per
 * product — a digest of each product's member set on both sides, so the details can name the
 * products whose members differ and which members each side lacks.
 *
 * Members are compared by what both systems agree on, never by a generated id: an asset by its
 * Shopify image id (else its URL), a tag by its name.
 */
import type postgres from 'postgres';
import { freshRead } from '../db/fresh.ts';
import { compareValues, type ParityCheckResult, roundDifference } from './comparison.ts';
import type { Side } from './sides.ts';

export interface MembershipSpec {
  check: 'denotation_coverage' | 'tag_count';
  /** The legacy relation table and its columns. */
  table: string;
  productColumn: string;
  memberIdColumn: string;
  sourceColumn: string;
  /** The legacy member table, its key, and the member's comparable identity over alias `y`. */
  memberTable: string;
  memberKey: string;
  memberIdentity: (side: Side) => postgres.PendingQuery<postgres.Row[]>;
  /** Plural noun for messages ("mappings", "tag classifications"). */
  noun: string;
  memberNoun: string;
}

interface Totals {
  total: number;
  bySource: Record<string, number>;
}

async function totals(side: Side, spec: MembershipSpec): Promise<Totals> {
  const source = side.column(spec.table, spec.sourceColumn);
  const rows = await side.sql<{ source: string; rows: number }[]>`
    select x.${source} as source, count(*)::int as rows from ${side.table(spec.table)} x
    where ${freshRead(side.sql)} group by 1`;
  const bySource: Record<string, number> = {};
  let total = 0;
  for (const r of rows) {
    bySource[r.source] = r.rows;
    total += r.rows;
  }
  return { total, bySource };
}

async function digests(side: Side, spec: MembershipSpec): Promise<Map<string, { members: number; digest: string }>> {
  const product = side.column(spec.table, spec.productColumn);
  const rows = await side.sql<{ product_id: string; members: number; digest: string }[]>`
    select x.${product}::text as product_id, count(*)::int as members,
           md5(string_agg(${spec.memberIdentity(side)}, e'\\n' order by ${spec.memberIdentity(side)})) as digest
    from ${side.table(spec.table)} x
    join ${side.table(spec.memberTable)} y on y.${side.column(spec.memberTable, spec.memberKey)} = x.${side.column(spec.table, spec.memberIdColumn)}
    where ${freshRead(side.sql)}
    group by 1`;
  return new Map(rows.map((r) => [r.product_id, { members: r.members, digest: r.digest }]));
}

async function membersOf(
  side: Side,
  spec: MembershipSpec,
  productIds: string[],
): Promise<Map<string, { member: string; source: string }[]>> {
  const result = new Map<string, { member: string; source: string }[]>();
  if (productIds.length === 0) return result;
  const product = side.column(spec.table, spec.productColumn);
  const rows = await side.sql<{ product_id: string; member: string; source: string }[]>`
    select x.${product}::text as product_id, ${spec.memberIdentity(side)} as member,
           x.${side.column(spec.table, spec.sourceColumn)} as source
    from ${side.table(spec.table)} x
    join ${side.table(spec.memberTable)} y on y.${side.column(spec.memberTable, spec.memberKey)} = x.${side.column(spec.table, spec.memberIdColumn)}
    where x.${product} in (select jsonb_array_elements_text(${JSON.stringify(productIds)}::text::jsonb)::bigint)
      and ${freshRead(side.sql)}
    order by 1, 2`;
  for (const r of rows) {
    const list = result.get(r.product_id) ?? [];
    list.push({ member: r.member, source: r.source });
    result.set(r.product_id, list);
  }
  return result;
}

export async function compareMemberships(
  legacy: Side,
  fresh: Side,
  spec: MembershipSpec,
  options: { tolerance: number; sampleLimit?: number },
): Promise<ParityCheckResult> {
  const sampleLimit = options.sampleLimit ?? 20;
  const [legacyTotals, newTotals, legacyDigests, newDigests] = await Promise.all([
    totals(legacy, spec),
    totals(fresh, spec),
    digests(legacy, spec),
    digests(fresh, spec),
  ]);
  const comparison = compareValues(legacyTotals.total, newTotals.total, options.tolerance);

  const differingIds = [...new Set([...legacyDigests.keys(), ...newDigests.keys()])]
    .filter((id) => legacyDigests.get(id)?.digest !== newDigests.get(id)?.digest)
    .sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1));
  const sampleIds = differingIds.slice(0, sampleLimit);
  const [legacyMembers, newMembers] = await Promise.all([
    membersOf(legacy, spec, sampleIds),
    membersOf(fresh, spec, sampleIds),
  ]);
  const differingProducts = sampleIds.map((id) => {
    const a = legacyMembers.get(id) ?? [];
    const b = newMembers.get(id) ?? [];
    const inA = new Set(a.map((m) => m.member));
    const inB = new Set(b.map((m) => m.member));
    return {
      product_id: Number(id),
      legacy_count: a.length,
      new_count: b.length,
      only_legacy: a.filter((m) => !inB.has(m.member)),
      only_new: b.filter((m) => !inA.has(m.member)),
    };
  });
  const extraOnNew = differingProducts.reduce((n, p) => n + p.only_new.length, 0);
  const missingOnNew = differingProducts.reduce((n, p) => n + p.only_legacy.length, 0);
  const sources = [...new Set([...Object.keys(legacyTotals.bySource), ...Object.keys(newTotals.bySource)])].sort();
  const by_source = sources.map((source) => {
    const c = compareValues(legacyTotals.bySource[source] ?? 0, newTotals.bySource[source] ?? 0, options.tolerance);
    return {
      source,
      legacy: c.legacy,
      new: c.new,
      difference: roundDifference(c.difference),
      verdict: c.verdict,
    };
  });

  const headline = `${legacyTotals.total} legacy ${spec.noun} vs ${newTotals.total} new`;
  const summary =
    differingIds.length === 0
      ? `${headline}; every product has the same ${spec.memberNoun}s on both sides`
      : `${headline}; ${differingIds.length} products differ` +
        `${differingIds.length > sampleIds.length ? ` (first ${sampleIds.length} shown)` : ''}: ` +
        `${missingOnNew} ${spec.memberNoun}s missing on new, ${extraOnNew} extra on new`;
  return {
    name: spec.check,
    legacy_value: legacyTotals.total,
    new_value: newTotals.total,
    difference: roundDifference(comparison.difference),
    tolerance: options.tolerance,
    verdict: comparison.verdict,
    details: {
      summary,
      tables: { legacy: legacy.tableName(spec.table), new: fresh.tableName(spec.table) },
      by_source,
      differing_product_count: differingIds.length,
      differing_products: differingProducts,
    },
  };
}
