/**
 * The tag vocabulary (tag_designation) and tags applied to products (tag_content_entity), as the
 * legacy REST API shows them (scenarios 9 and 10). Names are trimmed and lower-cased; tags that
 * come from Shopify are edited in Shopify, so removing them here is a conflict.
 */

import type { Queryable, Sql } from '#shared/db/types.ts';
import { authorPersonId, type Identity } from '../access/identity.ts';
import { recordStaffAction } from '../audit/staff-action.ts';
import { freshRead } from '../db/fresh.ts';
import { ApiError } from '../http/errors.ts';
import { toIsoTimestamp } from '../http/json-values.ts';
import { containsPattern } from '../http/text.ts';
import { isUniqueViolation } from '../procedures/execution.ts';
import { requireLiveProduct } from './products.ts';

export interface Tag {
  id: string;
  name: string;
  category: string | null;
  color: string | null;
  products: number;
}

export interface ProductTag {
  id: string;
  product_id: number;
  tag_id: string;
  name: string;
  source: 'manual';
  created_at: string;
}

/** Tag names are stored trimmed and lower-case (as Shopify tags are normalised). */
export function normalizeTagName(name: string): string {
  return name.trim().toLowerCase();
}

interface TagRow {
  id: string;
  name: string;
  category: string | null;
  color: string | null;
  products: string;
}

const toTag = (row: TagRow): Tag => ({ ...row, products: Number(row.products) });

function tagSelect(sql: Queryable) {
  return sql`
    select t.tag_designation_id as id, t.tag_name as name, t.category_name as category, t.color_code as color,
           (select count(*) from tag_content_entity tc where tc.tag_designation_id = t.tag_designation_id) as products
    from tag_designation t`;
}

export async function listTags(sql: Sql, query: { q?: string; category?: string }): Promise<{ data: Tag[] }> {
  const rows = await sql<TagRow[]>`
    ${tagSelect(sql)}
    where ${freshRead(sql)}
      ${query.q ? sql`and t.tag_name ilike ${containsPattern(query.q.trim().toLowerCase())}` : sql``}
      ${query.category ? sql`and t.category_name = ${query.category}` : sql``}
    order by t.tag_name`;
  return { data: rows.map(toTag) };
}

async function findTag(sql: Queryable, id: string): Promise<Tag> {
  const [row] = await sql<TagRow[]>`${tagSelect(sql)} where t.tag_designation_id = ${id} and ${freshRead(sql)}`;
  if (!row) throw new ApiError(404, `tag ${id} not found`);
  return toTag(row);
}

/** Postgres's view of a tag name write that failed because of the name. */
function nameProblem(error: unknown, name: string): unknown {
  if (isUniqueViolation(error, 'tag_designation_tag_name_key'))
    return new ApiError(409, `tag "${name}" already exists`);
  const e = error as { code?: string; constraint_name?: string } | null;
  if (e?.code === '23514' && e.constraint_name === 'tag_designation_tag_name_check') {
    return new ApiError(400, 'invalid request', [{ path: 'name', message: 'is not a valid tag name' }]);
  }
  return error;
}

export async function createTag(
  sql: Sql,
  input: { name: string; category?: string | null; color?: string | null },
  actor: Identity,
): Promise<Tag> {
  const name = normalizeTagName(input.name);
  try {
    return (await sql.begin(async (tx) => {
      const [row] = await tx<{ id: string }[]>`
        insert into tag_designation (tag_name, category_name, color_code)
        values (${name}, ${input.category ?? null}, ${input.color ?? null})
        returning tag_designation_id as id`;
      const tag = {
        id: row?.id as string,
        name,
        category: input.category ?? null,
        color: input.color ?? null,
        products: 0,
      };
      await recordStaffAction(tx, { actor, kind: 'tag.create', target: { kind: 'tag', id: tag.id }, after: tag });
      return tag;
    })) as Tag;
  } catch (error) {
    throw nameProblem(error, name);
  }
}

export async function updateTag(
  sql: Sql,
  id: string,
  input: { name?: string; category?: string | null; color?: string | null },
  actor: Identity,
): Promise<Tag> {
  const name = input.name === undefined ? undefined : normalizeTagName(input.name);
  try {
    return (await sql.begin(async (tx) => {
      const [locked] = await tx`select 1 from tag_designation where tag_designation_id = ${id} for update`;
      if (!locked) throw new ApiError(404, `tag ${id} not found`);
      const before = await findTag(tx, id);
      await tx`
        update tag_designation set
          tag_name = coalesce(${name ?? null}, tag_name),
          category_name = ${input.category === undefined ? tx`category_name` : tx`${input.category}`},
          color_code = ${input.color === undefined ? tx`color_code` : tx`${input.color}`}
        where tag_designation_id = ${id}`;
      const after = await findTag(tx, id);
      await recordStaffAction(tx, { actor, kind: 'tag.update', target: { kind: 'tag', id }, before, after });
      return after;
    })) as Tag;
  } catch (error) {
    throw nameProblem(error, name ?? '');
  }
}

/** Deletes a tag and its product tags, unless Shopify still applies it to a product (409). */
export async function deleteTag(sql: Sql, id: string, actor: Identity): Promise<void> {
  await sql.begin(async (tx) => {
    // The row lock keeps a concurrent ingest from applying the tag while it is being deleted.
    const [tag] = await tx<{ shopify_uses: string }[]>`
      select (select count(*) from tag_content_entity tc
              where tc.tag_designation_id = t.tag_designation_id and tc.source_system = 'shopify') as shopify_uses
      from tag_designation t where t.tag_designation_id = ${id}
      for update`;
    if (!tag) throw new ApiError(404, `tag ${id} not found`);
    if (Number(tag.shopify_uses) > 0) {
      throw new ApiError(
        409,
        `tag ${id} is applied by Shopify to ${tag.shopify_uses} product(s); remove it from those products in Shopify first`,
      );
    }
    const before = await findTag(tx, id);
    await tx`delete from tag_designation where tag_designation_id = ${id}`;
    await recordStaffAction(tx, { actor, kind: 'tag.delete', target: { kind: 'tag', id }, before });
  });
}

/** Applies a tag to a product by id, or by name (creating the tag when it is new). */
export async function addProductTag(
  sql: Sql,
  productId: number,
  tag: { tag_id: string } | { name: string },
  actor: Identity,
): Promise<ProductTag> {
  return sql.begin(async (tx) => {
    await requireLiveProduct(tx, productId);
    let tagId: string;
    let tagName: string;
    if ('tag_id' in tag) {
      const [row] = await tx<{ name: string }[]>`
        select tag_name as name from tag_designation where tag_designation_id = ${tag.tag_id} and ${freshRead(tx)}`;
      if (!row) throw new ApiError(404, `tag ${tag.tag_id} not found`);
      tagId = tag.tag_id;
      tagName = row.name;
    } else {
      tagName = normalizeTagName(tag.name);
      // A no-op update on conflict so the existing tag's id is returned too.
      const [row] = await tx<{ id: string }[]>`
        insert into tag_designation (tag_name) values (${tagName})
        on conflict (tag_name) do update set tag_name = excluded.tag_name
        returning tag_designation_id as id`.catch((error: unknown) => {
        throw nameProblem(error, tagName);
      });
      tagId = row?.id as string;
    }
    try {
      const [row] = await tx<{ id: string; created_at: string }[]>`
        insert into tag_content_entity (material_artifact_id, tag_designation_id, source_system, created_by_person_id)
        values (${productId}, ${tagId}, 'manual', ${authorPersonId(actor)})
        returning tag_content_entity_id as id, created_at`;
      if (!row) throw new Error('insert returned no row');
      const productTag = {
        id: row.id,
        product_id: productId,
        tag_id: tagId,
        name: tagName,
        source: 'manual' as const,
        created_at: toIsoTimestamp(row.created_at),
      };
      await recordStaffAction(tx, {
        actor,
        kind: 'product_tag.add',
        target: { kind: 'product', id: productId },
        after: productTag,
      });
      return productTag;
    } catch (error) {
      if (isUniqueViolation(error, 'tag_content_entity_artifact_tag_key')) {
        throw new ApiError(409, `product ${productId} already has tag "${tagName}"`);
      }
      throw error;
    }
  });
}

/** Removes a manual tag from a product; a Shopify-sourced one is a conflict (edit it in Shopify). */
export async function removeProductTag(sql: Sql, productId: number, tagId: string, actor: Identity): Promise<void> {
  await sql.begin(async (tx) => {
    await requireLiveProduct(tx, productId);
    const [row] = await tx<{ id: string; source: string }[]>`
      select tag_content_entity_id as id, source_system as source from tag_content_entity
      where material_artifact_id = ${productId} and tag_designation_id = ${tagId}
      for update`;
    if (!row) throw new ApiError(404, `product ${productId} does not have tag ${tagId}`);
    if (row.source === 'shopify') {
      throw new ApiError(409, `tag ${tagId} comes from Shopify on product ${productId}; edit it in Shopify`);
    }
    await tx`delete from tag_content_entity where tag_content_entity_id = ${row.id}`;
    await recordStaffAction(tx, {
      actor,
      kind: 'product_tag.remove',
      target: { kind: 'product', id: productId },
      before: { id: row.id, product_id: productId, tag_id: tagId, source: row.source },
    });
  });
}
