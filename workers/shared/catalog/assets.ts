/**
 * Media (media_content_entity) and what media denotes which product (denotation_relation), as the
 * legacy REST API shows them (scenarios 11 and 12). A product has at most one `featured` mapping:
 * making another one featured moves the old one to `gallery`, under the product's row lock so two
 * concurrent requests cannot both leave a featured mapping behind. Shopify's own mappings are
 * re-created by every sync, so deleting one here is a conflict.
 */

import { z } from 'zod';
import type { DENOTATION_ROLES, MEDIA_KINDS, SOURCE_SYSTEMS } from '#db/schema.ts';
import { drizzleOn } from '#shared/db/transaction.ts';
import type { Queryable, Sql } from '#shared/db/types.ts';
import { authorPersonId, type Identity } from '../access/identity.ts';
import { recordStaffAction } from '../audit/staff-action.ts';
import { freshRead } from '../db/fresh.ts';
import { ApiError } from '../http/errors.ts';
import { toIsoTimestamp, toNumber } from '../http/json-values.ts';
import { decodeCursor, type Page, toPage } from '../http/pagination.ts';
import { isUniqueViolation } from '../procedures/execution.ts';
import { requireLiveProduct } from './products.ts';

type MediaKind = (typeof MEDIA_KINDS)[number];
type DenotationRole = (typeof DENOTATION_ROLES)[number];
type SourceSystem = (typeof SOURCE_SYSTEMS)[number];

export interface Asset {
  id: string;
  kind: MediaKind;
  url: string;
  alt_text: string | null;
  shopify_image_id: number | null;
  created_at: string;
  products: number;
}

export interface AssetMapping {
  mapping_id: string;
  asset_id: string;
  product_id: number;
  role: DenotationRole;
  position: number;
  source: SourceSystem;
  created_at: string;
}

interface AssetRow {
  id: string;
  kind: MediaKind;
  url: string;
  alt_text: string | null;
  shopify_image_id: string | null;
  created_at: string;
  created_at_micros: string;
  products: string;
}

const toAsset = (row: AssetRow): Asset => ({
  id: row.id,
  kind: row.kind,
  url: row.url,
  alt_text: row.alt_text,
  shopify_image_id: toNumber(row.shopify_image_id),
  created_at: toIsoTimestamp(row.created_at),
  products: Number(row.products),
});

const assetCursorSchema = z.strictObject({ k: z.number().int().safe(), id: z.guid() });

export async function listAssets(
  sql: Sql,
  query: { product_id?: number; kind?: MediaKind; limit: number; cursor?: string },
): Promise<Page<Asset>> {
  const after = query.cursor ? decodeCursor(query.cursor, assetCursorSchema) : undefined;
  const rows = await sql<AssetRow[]>`
    select m.media_content_entity_id as id, m.media_kind as kind, m.url, m.alt_text, m.shopify_image_id,
           m.created_at, (extract(epoch from m.created_at) * 1000000)::bigint as created_at_micros,
           (select count(*) from denotation_relation d
            where d.media_content_entity_id = m.media_content_entity_id) as products
    from media_content_entity m
    where ${freshRead(sql)}
      ${
        query.product_id === undefined
          ? sql``
          : sql`and exists (select 1 from denotation_relation d
                          where d.media_content_entity_id = m.media_content_entity_id
                            and d.material_artifact_id = ${query.product_id})`
      }
      ${query.kind ? sql`and m.media_kind = ${query.kind}` : sql``}
      ${
        after
          ? sql`and (m.created_at, m.media_content_entity_id)
                    < (timestamptz 'epoch' + ${after.k}::bigint * interval '1 microsecond', ${after.id}::uuid)`
          : sql``
      }
    order by m.created_at desc, m.media_content_entity_id desc
    limit ${query.limit + 1}`;
  return toPage(rows, query.limit, (row) => ({ k: Number(row.created_at_micros), id: row.id }), toAsset);
}

export async function createAsset(
  sql: Sql,
  input: { kind: MediaKind; url: string; alt_text?: string | null },
  actor: Identity,
): Promise<Asset> {
  return sql.begin(async (tx) => {
    const [row] = await tx<AssetRow[]>`
      insert into media_content_entity (media_kind, url, alt_text)
      values (${input.kind}, ${input.url}, ${input.alt_text ?? null})
      returning media_content_entity_id as id, media_kind as kind, url, alt_text, shopify_image_id, created_at,
                0 as created_at_micros, 0 as products`;
    if (!row) throw new Error('insert returned no row');
    const asset = toAsset(row);
    await recordStaffAction(tx, { actor, kind: 'asset.create', target: { kind: 'asset', id: asset.id }, after: asset });
    return asset;
  }) as Promise<Asset>;
}

interface MappingRow {
  mapping_id: string;
  asset_id: string;
  product_id: string;
  role: DenotationRole;
  position: number;
  source: SourceSystem;
  created_at: string;
}

const toMapping = (row: MappingRow): AssetMapping => ({
  ...row,
  product_id: toNumber(row.product_id),
  created_at: toIsoTimestamp(row.created_at),
});

// Spliced into queries with sql.unsafe: a constant column list of this module, never input.
const MAPPING_COLUMNS = `denotation_relation_id as mapping_id, media_content_entity_id as asset_id,
  material_artifact_id as product_id, role_name as role, display_position as position,
  source_system as source, created_at`;

/** Demotes the product's other featured mappings to gallery (the product row must be locked). */
async function demoteOtherFeatured(tx: Queryable, productId: number, keepMappingId: string | null): Promise<void> {
  await tx`
    update denotation_relation set role_name = 'gallery'
    where material_artifact_id = ${productId} and role_name = 'featured'
      ${keepMappingId ? tx`and denotation_relation_id <> ${keepMappingId}` : tx``}`;
}

export async function createMapping(
  sql: Sql,
  productId: number,
  input: { asset_id: string; role?: DenotationRole; position?: number },
  actor: Identity,
): Promise<AssetMapping> {
  return sql.begin(async (tx) => {
    await requireLiveProduct(drizzleOn(tx), productId, { lock: true });
    const [asset] = await tx`
      select 1 from media_content_entity where media_content_entity_id = ${input.asset_id} and ${freshRead(tx)}`;
    if (!asset) throw new ApiError(404, `asset ${input.asset_id} not found`);
    const role = input.role ?? 'gallery';
    if (role === 'featured') await demoteOtherFeatured(tx, productId, null);
    try {
      const [row] = await tx<MappingRow[]>`
        insert into denotation_relation
          (material_artifact_id, media_content_entity_id, role_name, display_position, source_system,
           created_by_person_id)
        values (${productId}, ${input.asset_id}, ${role}, ${input.position ?? 0}, 'manual', ${authorPersonId(actor)})
        returning ${tx.unsafe(MAPPING_COLUMNS)}`;
      if (!row) throw new Error('insert returned no row');
      const mapping = toMapping(row);
      await recordStaffAction(tx, {
        actor,
        kind: 'asset_mapping.create',
        target: { kind: 'asset_mapping', id: mapping.mapping_id },
        after: mapping,
      });
      return mapping;
    } catch (error) {
      if (isUniqueViolation(error, 'denotation_relation_artifact_media_key')) {
        throw new ApiError(409, `asset ${input.asset_id} is already mapped to product ${productId}`);
      }
      throw error;
    }
  });
}

export async function updateMapping(
  sql: Sql,
  mappingId: string,
  input: { role?: DenotationRole; position?: number },
  actor: Identity,
): Promise<AssetMapping> {
  return sql.begin(async (tx) => {
    const [current] = await tx<{ product_id: string }[]>`
      select material_artifact_id as product_id from denotation_relation
      where denotation_relation_id = ${mappingId} and ${freshRead(tx)}`;
    if (!current) throw new ApiError(404, `asset mapping ${mappingId} not found`);
    const productId = Number(current.product_id);
    // Lock the product first (as createMapping does) so featured changes on one product serialize.
    await tx`select 1 from material_artifact where material_artifact_id = ${productId} for update`;
    const [before] = await tx<MappingRow[]>`
      select ${tx.unsafe(MAPPING_COLUMNS)} from denotation_relation where denotation_relation_id = ${mappingId}`;
    if (input.role === 'featured') await demoteOtherFeatured(tx, productId, mappingId);
    const [row] = await tx<MappingRow[]>`
      update denotation_relation set
        role_name = coalesce(${input.role ?? null}, role_name),
        display_position = coalesce(${input.position ?? null}::int, display_position)
      where denotation_relation_id = ${mappingId}
      returning ${tx.unsafe(MAPPING_COLUMNS)}`;
    if (!row || !before) throw new ApiError(404, `asset mapping ${mappingId} not found`);
    const mapping = toMapping(row);
    await recordStaffAction(tx, {
      actor,
      kind: 'asset_mapping.update',
      target: { kind: 'asset_mapping', id: mappingId },
      before: toMapping(before),
      after: mapping,
    });
    return mapping;
  });
}

export async function deleteMapping(sql: Sql, mappingId: string, actor: Identity): Promise<void> {
  await sql.begin(async (tx) => {
    const [row] = await tx<MappingRow[]>`
      select ${tx.unsafe(MAPPING_COLUMNS)} from denotation_relation where denotation_relation_id = ${mappingId} for update`;
    if (!row) throw new ApiError(404, `asset mapping ${mappingId} not found`);
    if (row.source === 'shopify') {
      throw new ApiError(409, `asset mapping ${mappingId} comes from Shopify; change the product's media in Shopify`);
    }
    await tx`delete from denotation_relation where denotation_relation_id = ${mappingId}`;
    await recordStaffAction(tx, {
      actor,
      kind: 'asset_mapping.delete',
      target: { kind: 'asset_mapping', id: mappingId },
      before: toMapping(row),
    });
  });
}
