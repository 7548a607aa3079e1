/** Product resolution: a staged product family (variants, images, tags) replaces its Shopify-owned rows. */

import type { Tx } from '#shared/db/types.ts';
import { children, parents } from './rows.ts';
import { add, type IdRange, type LoadCounts, type LoadTarget } from './types.ts';

/**
 * The media of each product with its position (1-based, in file order: the fixture format lists a
 * product's media in position order) and the media_content_entity it is, by Shopify image id when
 * the export gives a ProductImage gid, else by URL without the query string.
 */
function productImages(tx: Tx, r: IdRange) {
  return tx`
    with image as (
      select id, parent_id as product_id, payload as m,
             row_number() over (partition by parent_id order by line_number) as position
      from (${children(tx, 'MediaImage', r, 'Product')}) i
    ), by_url as (
      select distinct on (split_part(a.url, '?', 1)) split_part(a.url, '?', 1) as url_path, a.media_content_entity_id
      from media_content_entity a
      where split_part(a.url, '?', 1) in (select m ->> 'urlPath' from image where m ->> 'shopifyImageId' is null)
      order by split_part(a.url, '?', 1), a.shopify_image_id is null, a.created_at, a.media_content_entity_id
    )
    select i.product_id, i.position, i.m,
           coalesce(by_id.media_content_entity_id, by_url.media_content_entity_id) as media_content_entity_id
    from image i
    left join media_content_entity by_id on by_id.shopify_image_id = (i.m ->> 'shopifyImageId')::bigint
    left join by_url on i.m ->> 'shopifyImageId' is null and by_url.url_path = i.m ->> 'urlPath'`;
}

/** One batch of staged products (ids in the range): the products, then their variants, images and tags. */
export async function resolveProducts(tx: Tx, _target: LoadTarget, r: IdRange, counts: LoadCounts): Promise<void> {
  await upsertProducts(tx, r, counts);
  await replaceVariants(tx, r, counts);
  await replaceImages(tx, r, counts);
  await replaceTags(tx, r, counts);
}

async function upsertProducts(tx: Tx, r: IdRange, counts: LoadCounts): Promise<void> {
  const products = await tx`
    insert into material_artifact as cur
      (material_artifact_id, title, handle, vendor, product_type, status, shopify_tag_names,
       created_at, updated_at, published_at, deleted_at, synced_at)
    select p.id, p.payload ->> 'title', p.payload ->> 'handle', nullif(p.payload ->> 'vendor', ''),
           nullif(p.payload ->> 'productType', ''), p.payload ->> 'status',
           -- the legacy normalize_tags: split on commas, trim, lower-case, distinct, sorted
           (select coalesce(array_agg(distinct t order by t), '{}')
            from (select lower(btrim(part)) as t
                  from jsonb_array_elements_text(p.payload -> 'tags') as tag(value),
                       unnest(string_to_array(tag.value, ',')) as part) s
            where t <> ''),
           (p.payload ->> 'createdAt')::timestamptz, (p.payload ->> 'updatedAt')::timestamptz,
           (p.payload ->> 'publishedAt')::timestamptz, null, now()
    from (${parents(tx, 'Product', r)}) p
    on conflict (material_artifact_id) do update set
      title = excluded.title, handle = excluded.handle, vendor = excluded.vendor,
      product_type = excluded.product_type, status = excluded.status, shopify_tag_names = excluded.shopify_tag_names,
      created_at = excluded.created_at, updated_at = excluded.updated_at,
      published_at = excluded.published_at, deleted_at = null, synced_at = now()`;
  add(counts, 'material_artifact', products.count);
}

async function replaceVariants(tx: Tx, r: IdRange, counts: LoadCounts): Promise<void> {
  // Variants no longer in Shopify are removed (the legacy deletes those not in the product's list).
  await tx`
    delete from material_artifact_variant v
    using (select distinct object_id as id from ingest_staged_object
           where load_key = ${r.loadKey} and object_type = 'Product'
             and object_id > ${r.after}::bigint and object_id <= ${r.upto}::bigint) p
    where v.material_artifact_id = p.id
      and not exists (select 1 from ingest_staged_object s
                      where s.load_key = ${r.loadKey} and s.object_type = 'ProductVariant'
                        and s.parent_object_id = p.id and s.object_id = v.material_artifact_variant_id)`;
  const variants = await tx`
    insert into material_artifact_variant
      (material_artifact_variant_id, material_artifact_id, title, sku, price_measurement_value,
       compare_at_price_measurement_value, inventory_count, created_at, updated_at)
    select v.id, v.parent_id, v.payload ->> 'title', nullif(v.payload ->> 'sku', ''),
           (v.payload ->> 'price')::numeric, (v.payload ->> 'compareAtPrice')::numeric,
           (v.payload ->> 'inventoryQuantity')::integer, (v.payload ->> 'createdAt')::timestamptz,
           (v.payload ->> 'updatedAt')::timestamptz
    from (${children(tx, 'ProductVariant', r, 'Product')}) v
    on conflict (material_artifact_variant_id) do update set
      material_artifact_id = excluded.material_artifact_id, title = excluded.title, sku = excluded.sku,
      price_measurement_value = excluded.price_measurement_value,
      compare_at_price_measurement_value = excluded.compare_at_price_measurement_value,
      inventory_count = excluded.inventory_count, created_at = excluded.created_at, updated_at = excluded.updated_at`;
  add(counts, 'material_artifact_variant', variants.count);
}

async function replaceImages(tx: Tx, r: IdRange, counts: LoadCounts): Promise<void> {
  // Shopify images become media (upserted by Shopify image id, or matched by URL) mapped to the product.
  const mediaById = await tx`
    insert into media_content_entity as a (media_kind, url, alt_text, shopify_image_id)
    select distinct on ((i.m ->> 'shopifyImageId')::bigint)
           'image', i.m ->> 'url', nullif(i.m ->> 'alt', ''), (i.m ->> 'shopifyImageId')::bigint
    from (${productImages(tx, r)}) i
    where i.m ->> 'shopifyImageId' is not null
    order by (i.m ->> 'shopifyImageId')::bigint, i.product_id desc, i.position desc
    on conflict (shopify_image_id) do update set url = excluded.url, alt_text = excluded.alt_text`;
  const [mediaByUrl] = await tx<{ updated: number; inserted: number }[]>`
    with image as (
      select distinct on (i.m ->> 'urlPath') i.m, i.media_content_entity_id
      from (${productImages(tx, r)}) i
      where i.m ->> 'shopifyImageId' is null
      order by i.m ->> 'urlPath', i.product_id desc, i.position desc
    ), updated as (
      update media_content_entity a set url = i.m ->> 'url', alt_text = nullif(i.m ->> 'alt', '')
      from image i
      where a.media_content_entity_id = i.media_content_entity_id
      returning 1
    ), inserted as (
      insert into media_content_entity (media_kind, url, alt_text)
      select 'image', i.m ->> 'url', nullif(i.m ->> 'alt', '') from image i where i.media_content_entity_id is null
      returning 1
    )
    select (select count(*) from updated)::int as updated, (select count(*) from inserted)::int as inserted`;
  add(counts, 'media_content_entity', mediaById.count + (mediaByUrl?.updated ?? 0) + (mediaByUrl?.inserted ?? 0));

  const mappings = await tx`
    insert into denotation_relation (material_artifact_id, media_content_entity_id, role_name, display_position, source_system)
    select distinct on (i.product_id, i.media_content_entity_id)
           i.product_id, i.media_content_entity_id,
           case when i.position = 1 then 'featured' else 'gallery' end, i.position, 'shopify'
    from (${productImages(tx, r)}) i
    order by i.product_id, i.media_content_entity_id, i.position desc
    on conflict (material_artifact_id, media_content_entity_id) do update set
      role_name = excluded.role_name, display_position = excluded.display_position`;
  add(counts, 'denotation_relation', mappings.count);
  // Shopify images no longer on the product lose their mapping; manual mappings stay.
  await tx`
    delete from denotation_relation d
    using (select distinct object_id as id from ingest_staged_object
           where load_key = ${r.loadKey} and object_type = 'Product'
             and object_id > ${r.after}::bigint and object_id <= ${r.upto}::bigint) p
    where d.material_artifact_id = p.id and d.source_system = 'shopify'
      and not exists (select 1 from (${productImages(tx, r)}) i
                      where i.product_id = d.material_artifact_id
                        and i.media_content_entity_id = d.media_content_entity_id)`;
}

async function replaceTags(tx: Tx, r: IdRange, counts: LoadCounts): Promise<void> {
  // Shopify tags become tag classifications with source 'shopify'; removed ones go, manual ones stay.
  await tx`
    insert into tag_designation (tag_name)
    select distinct t.name
    from material_artifact a, unnest(a.shopify_tag_names) as t(name)
    where a.material_artifact_id > ${r.after}::bigint and a.material_artifact_id <= ${r.upto}::bigint
      and exists (select 1 from ingest_staged_object s where s.load_key = ${r.loadKey} and s.object_type = 'Product'
                  and s.object_id = a.material_artifact_id)
    order by t.name
    on conflict (tag_name) do nothing`;
  const tags = await tx`
    insert into tag_content_entity (material_artifact_id, tag_designation_id, source_system)
    select a.material_artifact_id, d.tag_designation_id, 'shopify'
    from material_artifact a
    cross join unnest(a.shopify_tag_names) as t(name)
    join tag_designation d on d.tag_name = t.name
    where a.material_artifact_id > ${r.after}::bigint and a.material_artifact_id <= ${r.upto}::bigint
      and exists (select 1 from ingest_staged_object s where s.load_key = ${r.loadKey} and s.object_type = 'Product'
                  and s.object_id = a.material_artifact_id)
    on conflict (material_artifact_id, tag_designation_id) do nothing`;
  add(counts, 'tag_content_entity', tags.count);
  await tx`
    delete from tag_content_entity tc
    using material_artifact a, tag_designation d
    where tc.material_artifact_id = a.material_artifact_id and tc.tag_designation_id = d.tag_designation_id
      and tc.source_system = 'shopify' and not (d.tag_name = any (a.shopify_tag_names))
      and a.material_artifact_id > ${r.after}::bigint and a.material_artifact_id <= ${r.upto}::bigint
      and exists (select 1 from ingest_staged_object s where s.load_key = ${r.loadKey} and s.object_type = 'Product'
                  and s.object_id = a.material_artifact_id)`;
}
