/**
 * Calling the dashboard-api Worker from its tests: `worker.fetch(request, env, ctx)` inside workerd,
 * with a Cloudflare Access token from the local signer for whoever the test says is calling, and a
 * direct Postgres client (the database the Worker's Hyperdrive binding points at) for arranging
 * rows and reading them back.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import type { LocalIdentity } from '#scripts/dev/local-access-signer.ts';
import type { Sql } from '#shared/db/types.ts';
import type { Env } from '#shared/env.ts';
import worker from '#workers/dashboard-api/src/index.ts';
import { createTestAccess, type TestAccess } from './access.ts';

export type Role = 'viewer' | 'staff' | 'admin' | 'master';
export const ROLES: readonly Role[] = ['viewer', 'staff', 'admin', 'master'];

/** One person per role, seeded by `seedStaff`. */
export const STAFF_EMAILS: Record<Role, string> = {
  viewer: 'viewer@example.com',
  staff: 'staff@example.com',
  admin: 'admin@example.com',
  master: 'master@example.com',
};

/** Mapped to `staff` in wrangler.toml's development ACCESS_SERVICE_TOKEN_ROLES. */
export const SERVICE_TOKEN = 'local-ci.access';

export type Caller = Role | LocalIdentity | null;

export interface ApiResponse<T = LooseJson> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  /** Who calls: a seeded role, any identity, or null for no token. Default: viewer. */
  as?: Caller;
  body?: unknown;
  /** Sent as is (for malformed JSON and odd content types). */
  rawBody?: BodyInit;
  headers?: Record<string, string>;
  env?: Partial<Env>;
}

/** Response bodies are read loosely in tests; the assertions are what check their shape. */
// biome-ignore lint/suspicious/noExplicitAny: see above
type LooseJson = any;

export interface Api {
  access: TestAccess;
  env: Env;
  request<T = LooseJson>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  get<T = LooseJson>(path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
}

function identityOf(caller: Role | LocalIdentity): LocalIdentity {
  return typeof caller === 'string' ? { email: STAFF_EMAILS[caller] } : caller;
}

export async function createApi(): Promise<Api> {
  const access = await createTestAccess();
  const tokens = new Map<string, string>();
  const tokenFor = async (caller: Role | LocalIdentity) => {
    const identity = identityOf(caller);
    const key = JSON.stringify(identity);
    let token = tokens.get(key);
    if (!token) {
      token = await access.token(identity);
      tokens.set(key, token);
    }
    return token;
  };
  const request = async <T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> => {
    const headers = new Headers(options.headers);
    const caller = options.as === undefined ? 'viewer' : options.as;
    if (caller !== null) headers.set('Cf-Access-Jwt-Assertion', await tokenFor(caller));
    let body: BodyInit | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request(`https://api.test${path}`, { method, headers, body }),
      { ...access.env, ...options.env } as Env,
      ctx,
    );
    const text = await response.text();
    await waitOnExecutionContext(ctx);
    let parsed: unknown = null;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: response.status, headers: response.headers, body: parsed as T };
  };
  return {
    access,
    env: access.env,
    request,
    get: (path, options) => request('GET', path, options),
  };
}

import { openTestSql } from '../../support/test-sql.ts';

export { openTestSql };

export async function seedStaff(sql: Sql): Promise<Record<Role, string>> {
  const ids = {} as Record<Role, string>;
  for (const role of ROLES) {
    const [row] = await sql<{ person_id: string }[]>`
      insert into person (email, full_name, role_name)
      values (${STAFF_EMAILS[role]}, ${`The ${role}`}, ${role})
      on conflict (email) do update set role_name = excluded.role_name
      returning person_id`;
    ids[role] = row?.person_id as string;
  }
  return ids;
}

/** The setup most files share: the Api, the test database and the staff of every role seeded in it. */
export async function openApiWithStaff(): Promise<{ api: Api; sql: Sql; staff: Record<Role, string> }> {
  const api = await createApi();
  const sql = openTestSql();
  return { api, sql, staff: await seedStaff(sql) };
}

export interface ProductSeed {
  id: number;
  title?: string;
  handle?: string;
  vendor?: string | null;
  product_type?: string | null;
  status?: 'active' | 'archived' | 'draft';
  updated_at?: string;
  created_at?: string;
  deleted?: boolean;
}

export async function seedProduct(sql: Sql, product: ProductSeed): Promise<void> {
  await sql`
    insert into material_artifact
      (material_artifact_id, title, handle, vendor, product_type, status, created_at, updated_at, published_at,
       deleted_at)
    values (${String(product.id)}::bigint, ${product.title ?? `Product ${product.id}`},
            ${product.handle ?? `product-${product.id}`}, ${product.vendor ?? null}, ${product.product_type ?? null},
            ${product.status ?? 'active'}, ${product.created_at ?? '2026-01-01T00:00:00Z'}::timestamptz,
            ${product.updated_at ?? '2026-01-02T00:00:00Z'}::timestamptz, null,
            ${product.deleted ? sql`now()` : null})`;
}

export async function seedVariant(
  sql: Sql,
  variant: { id: number; productId: number; sku?: string | null; price?: string; title?: string },
): Promise<void> {
  await sql`
    insert into material_artifact_variant
      (material_artifact_variant_id, material_artifact_id, title, sku, price_measurement_value,
       compare_at_price_measurement_value, inventory_count)
    values (${String(variant.id)}::bigint, ${String(variant.productId)}::bigint, ${variant.title ?? 'Default'},
            ${variant.sku ?? null}, ${variant.price ?? '10.00'}::numeric, null, 5)`;
}

/** Creates the tag when new and applies it to the product with the given source. */
export async function seedProductTag(
  sql: Sql,
  productId: number,
  name: string,
  source: 'shopify' | 'manual' = 'shopify',
): Promise<string> {
  const [tag] = await sql<{ id: string }[]>`
    insert into tag_designation (tag_name) values (${name})
    on conflict (tag_name) do update set tag_name = excluded.tag_name
    returning tag_designation_id as id`;
  await sql`
    insert into tag_content_entity (material_artifact_id, tag_designation_id, source_system)
    values (${String(productId)}::bigint, ${tag?.id as string}, ${source})`;
  return tag?.id as string;
}

export async function seedAsset(
  sql: Sql,
  asset: { url?: string; kind?: string; shopifyImageId?: number; createdAt?: string } = {},
): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    insert into media_content_entity (media_kind, url, shopify_image_id, created_at)
    values (${asset.kind ?? 'image'}, ${asset.url ?? `https://cdn.example.com/${crypto.randomUUID()}.jpg`},
            ${asset.shopifyImageId === undefined ? null : String(asset.shopifyImageId)}::bigint,
            ${asset.createdAt ?? sql`now()`})
    returning media_content_entity_id as id`;
  return row?.id as string;
}

export async function seedMapping(
  sql: Sql,
  mapping: { productId: number; assetId: string; role?: string; position?: number; source?: 'shopify' | 'manual' },
): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    insert into denotation_relation
      (material_artifact_id, media_content_entity_id, role_name, display_position, source_system)
    values (${String(mapping.productId)}::bigint, ${mapping.assetId}, ${mapping.role ?? 'gallery'},
            ${mapping.position ?? 0}, ${mapping.source ?? 'shopify'})
    returning denotation_relation_id as id`;
  return row?.id as string;
}

/** One performance mart row (net = gross − discounts − refunds). */
export async function seedMartRow(
  sql: Sql,
  row: { productId: number; date: string; gross: string; discounts?: string; refunds?: string; units?: number },
): Promise<void> {
  await sql`
    insert into performance_measurement_dataset
      (material_artifact_id, measurement_date, orders_count, units_sold_count, units_refunded_count,
       gross_sales_measurement_value, discounts_measurement_value, refunds_measurement_value,
       aggregate_measurement_value)
    values (${String(row.productId)}::bigint, ${row.date}::date, 1, ${row.units ?? 1}, 0, ${row.gross}::numeric,
            ${row.discounts ?? '0'}::numeric, ${row.refunds ?? '0'}::numeric,
            ${row.gross}::numeric - ${row.discounts ?? '0'}::numeric - ${row.refunds ?? '0'}::numeric)`;
}

/** Today's date (UTC, the shop timezone when none is configured) plus `days`. */
export function utcDate(days = 0): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}
