/**
 * Staff overrides of a product's A/B/C/NEW/DORMANT classification (scenario 7). An override is a
 * nominal_classification row with is_manual, which the nightly classification never recomputes;
 * removing it hands the product back to the nightly rules at once.
 */
import { and, eq, sql } from 'drizzle-orm';
import { type ClassificationCode, nominalClassification } from '#db/schema.ts';
import type { Database } from '#shared/db/client.ts';
import { transaction } from '#shared/db/transaction.ts';
import type { Identity } from '../access/identity.ts';
import { recordStaffAction } from '../audit/staff-action.ts';
import { notFound } from '../errors.ts';
import {
  classifyProduct,
  classifyProducts,
  type ProductClassification,
  readClassification,
} from '../marts/classification.ts';
import { requireLiveProduct } from './products.ts';

export async function setClassificationOverride(
  database: Database,
  productId: number,
  input: { classification: ClassificationCode; note?: string | null },
  actor: Identity,
): Promise<ProductClassification> {
  return transaction(database.sql, async (tx) => {
    await requireLiveProduct(tx.db, productId, { lock: true });
    const before = await readClassification(tx.sql, productId);
    const override = {
      classificationCode: input.classification,
      isManual: true,
      noteText: input.note ?? null,
      computedAt: sql`now()`,
    };
    await tx.db
      .insert(nominalClassification)
      .values({ materialArtifactId: productId, ...override })
      .onConflictDoUpdate({ target: nominalClassification.materialArtifactId, set: override });
    const classification = await readClassification(tx.sql, productId);
    if (!classification) throw new Error(`classification of product ${productId} vanished`);
    await recordStaffAction(tx.sql, {
      actor,
      kind: 'classification_override.set',
      target: { kind: 'product', id: productId },
      before,
      after: classification,
    });
    return classification;
  });
}

/** POST /api/classifications/recompute: the nightly rules now, recorded in the audit trail. */
export async function recomputeClassifications(
  database: Database,
  asOf: string | null,
  actor: Identity,
): Promise<number> {
  // The marts' hand-written SQL opens the transaction; the audit row joins it.
  return classifyProducts(database.sql, asOf, (tx, updated) =>
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
  database: Database,
  productId: number,
  actor: Identity,
): Promise<ProductClassification> {
  await transaction(database.sql, async (tx) => {
    await requireLiveProduct(tx.db, productId, { lock: true });
    const before = await readClassification(tx.sql, productId);
    await tx.db
      .update(nominalClassification)
      .set({ isManual: false, noteText: null })
      .where(and(eq(nominalClassification.materialArtifactId, productId), eq(nominalClassification.isManual, true)));
    // `after`: the override dropped; the recompute that follows is the nightly rules' work.
    await recordStaffAction(tx.sql, {
      actor,
      kind: 'classification_override.remove',
      target: { kind: 'product', id: productId },
      before,
      after: await readClassification(tx.sql, productId),
    });
  });
  const classification = await classifyProduct(database.sql, productId);
  if (!classification) throw notFound(`product ${productId}`);
  return classification;
}
