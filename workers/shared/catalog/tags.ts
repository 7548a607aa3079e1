/**
 * The tag vocabulary (tag_designation) and tags applied to products (tag_content_entity), as the
 * legacy REST API shows them (scenarios 9 and 10). Names are trimmed and lower-cased; tags that
 * come from Shopify are edited in Shopify, so removing them here is a conflict.
 */
import { z } from '@hono/zod-openapi';
import { and, eq, ilike, sql } from 'drizzle-orm';
import { tagContentEntity, tagDesignation } from '#db/schema.ts';
import type { Database } from '#shared/db/client.ts';
import { transaction } from '#shared/db/transaction.ts';
import type { Db } from '#shared/db/types.ts';
import { authorPersonId, type Identity } from '../access/identity.ts';
import { recordStaffAction } from '../audit/staff-action.ts';
import { freshReadCondition } from '../db/fresh.ts';
import { violatedConstraint } from '../db/postgres-errors.ts';
import { conflict, DomainError, notFound } from '../errors.ts';
import { toIsoTimestamp } from '../http/json-values.ts';
import { isoTimestamp } from '../http/schemas.ts';
import { containsPattern } from '../http/text.ts';
import { requireLiveProduct } from './products.ts';

export const tagSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    category: z.string().nullable(),
    color: z.string().nullable(),
    products: z.number().int(),
  })
  .openapi('Tag');
export type Tag = z.infer<typeof tagSchema>;

export const productTagSchema = z
  .object({
    id: z.string(),
    product_id: z.number().int(),
    tag_id: z.string(),
    name: z.string(),
    source: z.literal('manual'),
    created_at: isoTimestamp,
  })
  .openapi('ProductTag');
export type ProductTag = z.infer<typeof productTagSchema>;

/** Tag names are stored trimmed and lower-case (as Shopify tags are normalised). */
export function normalizeTagName(name: string): string {
  return name.trim().toLowerCase();
}

/** A Tag's columns; `products` counts every product tag (any source). */
function tagColumns(db: Db) {
  return {
    id: tagDesignation.tagDesignationId,
    name: tagDesignation.tagName,
    category: tagDesignation.categoryName,
    color: tagDesignation.colorCode,
    products: db.$count(tagContentEntity, eq(tagContentEntity.tagDesignationId, tagDesignation.tagDesignationId)),
  };
}

export async function listTags({ db }: Database, query: { q?: string; category?: string }): Promise<{ data: Tag[] }> {
  const data = await db
    .select(tagColumns(db))
    .from(tagDesignation)
    .where(
      and(
        freshReadCondition,
        query.q ? ilike(tagDesignation.tagName, containsPattern(query.q.trim().toLowerCase())) : undefined,
        query.category ? eq(tagDesignation.categoryName, query.category) : undefined,
      ),
    )
    .orderBy(tagDesignation.tagName);
  return { data };
}

async function findTag(db: Db, id: string): Promise<Tag> {
  const [tag] = await db
    .select(tagColumns(db))
    .from(tagDesignation)
    .where(and(eq(tagDesignation.tagDesignationId, id), freshReadCondition));
  if (!tag) throw notFound(`tag ${id}`);
  return tag;
}

/** Postgres's view of a tag name write that failed because of the name. */
function nameProblem(error: unknown, name: string): unknown {
  const constraint = violatedConstraint(error);
  if (constraint === 'tag_designation_tag_name_key') return conflict(`tag "${name}" already exists`);
  if (constraint === 'tag_designation_tag_name_check') {
    return new DomainError('invalid', 'invalid request', [{ path: 'name', message: 'is not a valid tag name' }]);
  }
  return error;
}

export async function createTag(
  database: Database,
  input: { name: string; category?: string | null; color?: string | null },
  actor: Identity,
): Promise<Tag> {
  const name = normalizeTagName(input.name);
  try {
    return await transaction(database.sql, async (tx) => {
      const [row] = await tx.db
        .insert(tagDesignation)
        .values({ tagName: name, categoryName: input.category ?? null, colorCode: input.color ?? null })
        .returning({ id: tagDesignation.tagDesignationId });
      if (!row) throw new Error('insert returned no row');
      const tag = { id: row.id, name, category: input.category ?? null, color: input.color ?? null, products: 0 };
      await recordStaffAction(tx.sql, { actor, kind: 'tag.create', target: { kind: 'tag', id: tag.id }, after: tag });
      return tag;
    });
  } catch (error) {
    throw nameProblem(error, name);
  }
}

export async function updateTag(
  database: Database,
  id: string,
  input: { name?: string; category?: string | null; color?: string | null },
  actor: Identity,
): Promise<Tag> {
  const name = input.name === undefined ? undefined : normalizeTagName(input.name);
  // drizzle leaves out the undefined ones: a field not given keeps its value.
  const changes = { tagName: name, categoryName: input.category, colorCode: input.color };
  try {
    return await transaction(database.sql, async (tx) => {
      // Locked and read in one query: the row cannot change between `before` and the update.
      const [before] = await tx.db
        .select(tagColumns(tx.db))
        .from(tagDesignation)
        .where(eq(tagDesignation.tagDesignationId, id))
        .for('update');
      if (!before) throw notFound(`tag ${id}`);
      if (Object.values(changes).some((value) => value !== undefined)) {
        await tx.db.update(tagDesignation).set(changes).where(eq(tagDesignation.tagDesignationId, id));
      }
      const after = await findTag(tx.db, id);
      await recordStaffAction(tx.sql, { actor, kind: 'tag.update', target: { kind: 'tag', id }, before, after });
      return after;
    });
  } catch (error) {
    throw nameProblem(error, name ?? '');
  }
}

/** Deletes a tag and its product tags, unless Shopify still applies it to a product (409). */
export async function deleteTag(database: Database, id: string, actor: Identity): Promise<void> {
  await transaction(database.sql, async (tx) => {
    // The row lock keeps a concurrent ingest from applying the tag while it is being deleted.
    const [tag] = await tx.db
      .select({
        ...tagColumns(tx.db),
        shopifyUses: tx.db.$count(
          tagContentEntity,
          and(
            eq(tagContentEntity.tagDesignationId, tagDesignation.tagDesignationId),
            eq(tagContentEntity.sourceSystem, 'shopify'),
          ),
        ),
      })
      .from(tagDesignation)
      .where(eq(tagDesignation.tagDesignationId, id))
      .for('update');
    if (!tag) throw notFound(`tag ${id}`);
    const { shopifyUses, ...before } = tag;
    if (shopifyUses > 0) {
      throw conflict(
        `tag ${id} is applied by Shopify to ${shopifyUses} product(s); remove it from those products in Shopify first`,
      );
    }
    await tx.db.delete(tagDesignation).where(eq(tagDesignation.tagDesignationId, id));
    await recordStaffAction(tx.sql, { actor, kind: 'tag.delete', target: { kind: 'tag', id }, before });
  });
}

/** The tag's id by name, creating the tag when the name is new. */
async function tagIdByName(db: Db, name: string): Promise<string> {
  try {
    // A no-op update on conflict so the existing tag's id is returned too.
    const [row] = await db
      .insert(tagDesignation)
      .values({ tagName: name })
      .onConflictDoUpdate({ target: tagDesignation.tagName, set: { tagName: sql`excluded.tag_name` } })
      .returning({ id: tagDesignation.tagDesignationId });
    if (!row) throw new Error('upsert returned no row');
    return row.id;
  } catch (error) {
    throw nameProblem(error, name);
  }
}

/** Applies a tag to a product by id, or by name (creating the tag when it is new). */
export async function addProductTag(
  database: Database,
  productId: number,
  tag: { tag_id: string } | { name: string },
  actor: Identity,
): Promise<ProductTag> {
  return transaction(database.sql, async (tx) => {
    await requireLiveProduct(tx.db, productId);
    let tagId: string;
    let tagName: string;
    if ('tag_id' in tag) {
      const [row] = await tx.db
        .select({ name: tagDesignation.tagName })
        .from(tagDesignation)
        .where(and(eq(tagDesignation.tagDesignationId, tag.tag_id), freshReadCondition));
      if (!row) throw notFound(`tag ${tag.tag_id}`);
      tagId = tag.tag_id;
      tagName = row.name;
    } else {
      tagName = normalizeTagName(tag.name);
      tagId = await tagIdByName(tx.db, tagName);
    }
    try {
      const [row] = await tx.db
        .insert(tagContentEntity)
        .values({
          materialArtifactId: productId,
          tagDesignationId: tagId,
          sourceSystem: 'manual',
          createdByPersonId: authorPersonId(actor),
        })
        .returning({ id: tagContentEntity.tagContentEntityId, createdAt: tagContentEntity.createdAt });
      if (!row) throw new Error('insert returned no row');
      const productTag: ProductTag = {
        id: row.id,
        product_id: productId,
        tag_id: tagId,
        name: tagName,
        source: 'manual',
        created_at: toIsoTimestamp(row.createdAt),
      };
      await recordStaffAction(tx.sql, {
        actor,
        kind: 'product_tag.add',
        target: { kind: 'product', id: productId },
        after: productTag,
      });
      return productTag;
    } catch (error) {
      if (violatedConstraint(error) === 'tag_content_entity_artifact_tag_key') {
        throw conflict(`product ${productId} already has tag "${tagName}"`);
      }
      throw error;
    }
  });
}

/** Removes a manual tag from a product; a Shopify-sourced one is a conflict (edit it in Shopify). */
export async function removeProductTag(
  database: Database,
  productId: number,
  tagId: string,
  actor: Identity,
): Promise<void> {
  await transaction(database.sql, async (tx) => {
    await requireLiveProduct(tx.db, productId);
    const [row] = await tx.db
      .select({ id: tagContentEntity.tagContentEntityId, source: tagContentEntity.sourceSystem })
      .from(tagContentEntity)
      .where(and(eq(tagContentEntity.materialArtifactId, productId), eq(tagContentEntity.tagDesignationId, tagId)))
      .for('update');
    if (!row) throw new DomainError('not_found', `product ${productId} does not have tag ${tagId}`);
    if (row.source === 'shopify') {
      throw conflict(`tag ${tagId} comes from Shopify on product ${productId}; edit it in Shopify`);
    }
    await tx.db.delete(tagContentEntity).where(eq(tagContentEntity.tagContentEntityId, row.id));
    await recordStaffAction(tx.sql, {
      actor,
      kind: 'product_tag.remove',
      target: { kind: 'product', id: productId },
      before: { id: row.id, product_id: productId, tag_id: tagId, source: row.source },
    });
  });
}
