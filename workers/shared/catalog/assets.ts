/**
 * Media (media_content_entity) and what media denotes which product (denotation_relation), as the
 * legacy REST API shows them (scenarios 11 and 12). A product has at most one `featured` mapping:
 * making another one featured moves the old one to `gallery`, under the product's row lock so two
 * concurrent requests cannot both leave a featured mapping behind. Shopify's own mappings are
 * re-created by every sync, so deleting one here is a conflict.
 */
import { z } from '@hono/zod-openapi';
import { and, desc, eq, exists, ne, sql } from 'drizzle-orm';
import {
  DENOTATION_ROLES,
  denotationRelation,
  MEDIA_KINDS,
  materialArtifact,
  mediaContentEntity,
  SOURCE_SYSTEMS,
} from '#db/schema.ts';
import type { Database } from '#shared/db/client.ts';
import { transaction } from '#shared/db/transaction.ts';
import type { Db } from '#shared/db/types.ts';
import { authorPersonId, type Identity } from '../access/identity.ts';
import { recordStaffAction } from '../audit/staff-action.ts';
import { freshReadCondition } from '../db/fresh.ts';
import { violatedConstraint } from '../db/postgres-errors.ts';
import { conflict, notFound } from '../errors.ts';
import { toIsoTimestamp } from '../http/json-values.ts';
import { decodeCursor, type Page, toPage } from '../http/pagination.ts';
import { isoTimestamp } from '../http/schemas.ts';
import { requireLiveProduct } from './products.ts';

export const assetSchema = z
  .object({
    id: z.string(),
    kind: z.enum(MEDIA_KINDS),
    url: z.string(),
    alt_text: z.string().nullable(),
    shopify_image_id: z.number().int().nullable(),
    created_at: isoTimestamp,
    products: z.number().int().openapi({ description: 'how many product mappings use it' }),
  })
  .openapi('Asset');
export type Asset = z.infer<typeof assetSchema>;

export const mappingSchema = z
  .object({
    mapping_id: z.string(),
    asset_id: z.string(),
    product_id: z.number().int(),
    role: z.enum(DENOTATION_ROLES),
    position: z.number().int(),
    source: z.enum(SOURCE_SYSTEMS),
    created_at: isoTimestamp,
  })
  .openapi('AssetMapping');
export type AssetMapping = z.infer<typeof mappingSchema>;

type MediaKind = Asset['kind'];
type DenotationRole = AssetMapping['role'];

const assetColumns = {
  id: mediaContentEntity.mediaContentEntityId,
  kind: mediaContentEntity.mediaKind,
  url: mediaContentEntity.url,
  alt_text: mediaContentEntity.altText,
  shopify_image_id: mediaContentEntity.shopifyImageId,
  created_at: mediaContentEntity.createdAt,
};

const assetCursorSchema = z.strictObject({ k: z.number().int().safe(), id: z.guid() });

export async function listAssets(
  { db }: Database,
  query: { product_id?: number; kind?: MediaKind; limit: number; cursor?: string },
): Promise<Page<Asset>> {
  const after = query.cursor ? decodeCursor(query.cursor, assetCursorSchema) : undefined;
  const mapped = (productId: number) =>
    db
      .select({ one: sql`1` })
      .from(denotationRelation)
      .where(
        and(
          eq(denotationRelation.mediaContentEntityId, mediaContentEntity.mediaContentEntityId),
          eq(denotationRelation.materialArtifactId, productId),
        ),
      );
  const rows = await db
    .select({
      ...assetColumns,
      // The keyset position in microseconds: a JavaScript Date would drop them.
      created_at_micros: sql<string>`(extract(epoch from ${mediaContentEntity.createdAt}) * 1000000)::bigint`,
      products: db.$count(
        denotationRelation,
        eq(denotationRelation.mediaContentEntityId, mediaContentEntity.mediaContentEntityId),
      ),
    })
    .from(mediaContentEntity)
    .where(
      and(
        freshReadCondition,
        query.product_id === undefined ? undefined : exists(mapped(query.product_id)),
        query.kind ? eq(mediaContentEntity.mediaKind, query.kind) : undefined,
        after
          ? sql`(${mediaContentEntity.createdAt}, ${mediaContentEntity.mediaContentEntityId})
                < (timestamptz 'epoch' + ${after.k}::bigint * interval '1 microsecond', ${after.id}::uuid)`
          : undefined,
      ),
    )
    .orderBy(desc(mediaContentEntity.createdAt), desc(mediaContentEntity.mediaContentEntityId))
    .limit(query.limit + 1);
  return toPage(
    rows,
    query.limit,
    (row) => ({ k: Number(row.created_at_micros), id: row.id }),
    ({ created_at_micros: _, ...row }) => ({ ...row, created_at: toIsoTimestamp(row.created_at) }),
  );
}

export async function createAsset(
  database: Database,
  input: { kind: MediaKind; url: string; alt_text?: string | null },
  actor: Identity,
): Promise<Asset> {
  return transaction(database.sql, async (tx) => {
    const [row] = await tx.db
      .insert(mediaContentEntity)
      .values({ mediaKind: input.kind, url: input.url, altText: input.alt_text ?? null })
      .returning(assetColumns);
    if (!row) throw new Error('insert returned no row');
    const asset: Asset = { ...row, created_at: toIsoTimestamp(row.created_at), products: 0 };
    await recordStaffAction(tx.sql, {
      actor,
      kind: 'asset.create',
      target: { kind: 'asset', id: asset.id },
      after: asset,
    });
    return asset;
  });
}

const mappingColumns = {
  mapping_id: denotationRelation.denotationRelationId,
  asset_id: denotationRelation.mediaContentEntityId,
  product_id: denotationRelation.materialArtifactId,
  role: denotationRelation.roleName,
  position: denotationRelation.displayPosition,
  source: denotationRelation.sourceSystem,
  created_at: denotationRelation.createdAt,
};

const toMapping = (row: AssetMapping): AssetMapping => ({ ...row, created_at: toIsoTimestamp(row.created_at) });

/** Demotes the product's other featured mappings to gallery (the product row must be locked). */
async function demoteOtherFeatured(db: Db, productId: number, keepMappingId: string | null): Promise<void> {
  await db
    .update(denotationRelation)
    .set({ roleName: 'gallery' })
    .where(
      and(
        eq(denotationRelation.materialArtifactId, productId),
        eq(denotationRelation.roleName, 'featured'),
        keepMappingId ? ne(denotationRelation.denotationRelationId, keepMappingId) : undefined,
      ),
    );
}

export async function createMapping(
  database: Database,
  productId: number,
  input: { asset_id: string; role?: DenotationRole; position?: number },
  actor: Identity,
): Promise<AssetMapping> {
  return transaction(database.sql, async (tx) => {
    await requireLiveProduct(tx.db, productId, { lock: true });
    const [asset] = await tx.db
      .select({ id: mediaContentEntity.mediaContentEntityId })
      .from(mediaContentEntity)
      .where(and(eq(mediaContentEntity.mediaContentEntityId, input.asset_id), freshReadCondition));
    if (!asset) throw notFound(`asset ${input.asset_id}`);
    const role = input.role ?? 'gallery';
    if (role === 'featured') await demoteOtherFeatured(tx.db, productId, null);
    try {
      const [row] = await tx.db
        .insert(denotationRelation)
        .values({
          materialArtifactId: productId,
          mediaContentEntityId: input.asset_id,
          roleName: role,
          displayPosition: input.position ?? 0,
          sourceSystem: 'manual',
          createdByPersonId: authorPersonId(actor),
        })
        .returning(mappingColumns);
      if (!row) throw new Error('insert returned no row');
      const mapping = toMapping(row);
      await recordStaffAction(tx.sql, {
        actor,
        kind: 'asset_mapping.create',
        target: { kind: 'asset_mapping', id: mapping.mapping_id },
        after: mapping,
      });
      return mapping;
    } catch (error) {
      if (violatedConstraint(error) === 'denotation_relation_artifact_media_key') {
        throw conflict(`asset ${input.asset_id} is already mapped to product ${productId}`);
      }
      throw error;
    }
  });
}

export async function updateMapping(
  database: Database,
  mappingId: string,
  input: { role?: DenotationRole; position?: number },
  actor: Identity,
): Promise<AssetMapping> {
  const byId = eq(denotationRelation.denotationRelationId, mappingId);
  return transaction(database.sql, async (tx) => {
    const [current] = await tx.db
      .select({ productId: denotationRelation.materialArtifactId })
      .from(denotationRelation)
      .where(and(byId, freshReadCondition));
    if (!current) throw notFound(`asset mapping ${mappingId}`);
    const productId = current.productId;
    // Lock the product first (as createMapping does) so featured changes on one product serialize.
    await tx.db
      .select({ id: materialArtifact.materialArtifactId })
      .from(materialArtifact)
      .where(eq(materialArtifact.materialArtifactId, productId))
      .for('update');
    const [before] = await tx.db.select(mappingColumns).from(denotationRelation).where(byId);
    if (input.role === 'featured') await demoteOtherFeatured(tx.db, productId, mappingId);
    // drizzle leaves out the undefined ones: a field not given keeps its value.
    const changes = { roleName: input.role, displayPosition: input.position };
    const [row] = Object.values(changes).some((value) => value !== undefined)
      ? await tx.db.update(denotationRelation).set(changes).where(byId).returning(mappingColumns)
      : await tx.db.select(mappingColumns).from(denotationRelation).where(byId);
    if (!row || !before) throw notFound(`asset mapping ${mappingId}`);
    const mapping = toMapping(row);
    await recordStaffAction(tx.sql, {
      actor,
      kind: 'asset_mapping.update',
      target: { kind: 'asset_mapping', id: mappingId },
      before: toMapping(before),
      after: mapping,
    });
    return mapping;
  });
}

export async function deleteMapping(database: Database, mappingId: string, actor: Identity): Promise<void> {
  const byId = eq(denotationRelation.denotationRelationId, mappingId);
  await transaction(database.sql, async (tx) => {
    const [row] = await tx.db.select(mappingColumns).from(denotationRelation).where(byId).for('update');
    if (!row) throw notFound(`asset mapping ${mappingId}`);
    if (row.source === 'shopify') {
      throw conflict(`asset mapping ${mappingId} comes from Shopify; change the product's media in Shopify`);
    }
    await tx.db.delete(denotationRelation).where(byId);
    await recordStaffAction(tx.sql, {
      actor,
      kind: 'asset_mapping.delete',
      target: { kind: 'asset_mapping', id: mappingId },
      before: toMapping(row),
    });
  });
}
