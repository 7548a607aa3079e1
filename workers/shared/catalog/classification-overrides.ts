/**
 * Staff overrides of a product's A/B/C/NEW/DORMANT classification (scenario 7). An override is a
 * nominal_classification row with is_manual, which the nightly classification never recomputes;
 * removing it hands the product back to the nightly rules at once.
 */
import type { ClassificationCode } from '#db/schema.ts';
import { drizzleOn } from '#shared/db/transaction.ts';
import type { Sql } from '#shared/db/types.ts';
import type { Identity } from '../access/identity.ts';
import { recordStaffAction } from '../audit/staff-action.ts';
import { ApiError } from '../http/errors.ts';
import {
  classifyProduct,
  classifyProducts,
  type ProductClassification,
  readClassification,
} from '../marts/classification.ts';
import { requireLiveProduct } from './products.ts';

export async function setClassificationOverride(
  sql: Sql,
  productId: number,
  input: { classification: ClassificationCode; note?: string | null },
  actor: Identity,
): Promise<ProductClassification> {
  return sql.begin(async (tx) => {
    await requireLiveProduct(drizzleOn(tx), productId, { lock: true });
    const before = await readClassification(tx, productId);
    await tx`
      insert into nominal_classification (material_artifact_id, classification_code, is_manual, note_text, computed_at)
      values (${productId}, ${input.classification}, true, ${input.note ?? null}, now())
      on conflict (material_artifact_id) do update set
        classification_code = excluded.classification_code, is_manual = true,
        note_text = excluded.note_text, computed_at = excluded.computed_at`;
    const classification = await readClassification(tx, productId);
    if (!classification) throw new Error(`classification of product ${productId} vanished`);
    await recordStaffAction(tx, {
      actor,
      kind: 'classification_override.set',
      target: { kind: 'product', id: productId },
      before,
      after: classification,
    });
    return classification;
  }) as Promise<ProductClassification>;
}

/** POST /api/classifications/recompute: the nightly rules now, recorded in the audit trail. */
export async function recomputeClassifications(sql: Sql, asOf: string | null, actor: Identity): Promise<number> {
  return classifyProducts(sql, asOf, (tx, updated) =>
    recordStaffAction(tx, {
      actor,
      kind: 'classification.recompute',
      target: { kind: 'classification', id: 'all' },
      after: { as_of: asOf, updated },
    }),
  );
}

/**
 * Drops the override and recomputes the product as the nightly job would. The row stays (as a
 * computed one, note cleared) until the recompute overwrites it, so the product never shows no
 * classification in between.
 */
export async function removeClassificationOverride(
  sql: Sql,
  productId: number,
  actor: Identity,
): Promise<ProductClassification> {
  await sql.begin(async (tx) => {
    await requireLiveProduct(drizzleOn(tx), productId, { lock: true });
    const before = await readClassification(tx, productId);
    await tx`
      update nominal_classification set is_manual = false, note_text = null
      where material_artifact_id = ${productId} and is_manual`;
    // `after`: the override dropped; the recompute that follows is the nightly rules' work.
    await recordStaffAction(tx, {
      actor,
      kind: 'classification_override.remove',
      target: { kind: 'product', id: productId },
      before,
      after: await readClassification(tx, productId),
    });
  });
  const classification = await classifyProduct(sql, productId);
  if (!classification) throw new ApiError(404, `product ${productId} not found`);
  return classification;
}
