import type { Queryable } from '#shared/db/types.ts';
/** Product titles by Shopify id, for pages that name products (deleted ones too: they are history). */

export async function productTitles(sql: Queryable, ids: readonly number[]): Promise<Map<number, string>> {
  const unique = [...new Set(ids)].filter((id) => Number.isSafeInteger(id) && id > 0);
  if (unique.length === 0) return new Map();
  const rows = await sql<{ id: string; title: string }[]>`
    select material_artifact_id::text as id, title from material_artifact
    where material_artifact_id in (select jsonb_array_elements_text(${JSON.stringify(unique.map(String))}::text::jsonb)::bigint)`;
  return new Map(rows.map((r) => [Number(r.id), r.title]));
}
