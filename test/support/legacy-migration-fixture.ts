/**
 * A legacy database worth migrating, for the data migration tests: a generated store loaded through
 * the legacy's own functions (ingest_product / ingest_order / delete_product, then the nightly
 * refresh_mart_performance_metrics and classify_products), plus what only staff create — profiles
 * with roles, manual tags and classifications, manual assets and mappings, classification
 * overrides, settings, sync history — and rows chosen to break a careless copy: nulls, emoji,
 * right-to-left text, combining marks, COPY's own escape characters, numeric extremes, int32 and
 * int64 limits, timestamps on DST boundaries, infinity.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Sql } from '#shared/db/types.ts';
import { mappedColumns, mappingForLegacyTable, quoteIdent } from '../../db/names-map.ts';
import { generateStore } from '../../scripts/store-generator/generate.ts';
import { loadLegacyStore } from './marts-oracle.ts';

/** Text that COPY text format must escape or that looks like its markers. */
export const AWKWARD_TEXT = {
  emoji: 'Zoë 🧵🪡 👩🏽‍💻',
  rtl: 'מנהלת חנות — مديرة المتجر',
  combining: 'Cafe\u0301 Ame\u0301lie\u0308',
  copyEscapes: 'tab\there, newline\nthere, backslash \\ and \\N, carriage\rreturn',
  nullWord: 'NULL',
  backslashN: '\\N',
} as const;

export const EXTREMES = {
  money14: '999999999999.99',
  money14Negative: '-999999999999.99',
  money12: '9999999999.99',
  int32Max: 2147483647,
  int32Min: -2147483648,
  int64Max: '9223372036854775807',
} as const;

/** Instants on or next to DST transitions (America/New_York and Europe/Berlin, 2026). */
export const DST_INSTANTS = [
  '2026-03-08 06:59:59.999999+00', // 01:59:59.999999 EST, just before the spring-forward gap
  '2026-03-08 07:00:00+00', // 03:00 EDT: the first instant after the gap
  '2026-11-01 05:30:00+00', // 01:30 EDT, the first pass through the repeated hour
  '2026-11-01 06:30:00+00', // 01:30 EST, the second pass
  '2026-03-29 01:00:00+00', // Berlin: 02:00 CET becomes 03:00 CEST
  '2026-10-25 00:59:59.5+00', // Berlin: half a second before falling back
] as const;

export const STAFF_EMAILS = {
  master: 'owner@example.com',
  admin: 'admin@example.com',
  staff: 'zoe@example.com',
  viewer: 'rtl@example.com',
  nameless: 'nameless@example.com',
} as const;

export interface LegacyFixture {
  timezone: string;
  productIds: string[];
}

export async function buildLegacyDatabase(
  sql: Sql,
  options: { seed: number; products: number; orders: number },
): Promise<LegacyFixture> {
  const store = generateStore({ seed: options.seed, products: options.products, orders: options.orders });
  await loadLegacyStore(sql, { timezone: store.shop.ianaTimezone, ...store.legacy });
  await sql`select refresh_mart_performance_metrics()`;
  await sql`select classify_products()`;
  await addStaffRows(sql);
  await addExtremeShopifyRows(sql);
  const products = await sql<{ id: string }[]>`select id::text from products order by id`;
  return { timezone: store.shop.ianaTimezone, productIds: products.map((p) => p.id) };
}

/** What staff made in the old dashboard: exists nowhere but the legacy database. */
export async function addStaffRows(sql: Sql): Promise<void> {
  // ::text first: a parameter typed timestamptz would pass through a JS Date and lose its microseconds
  const [t0, t1, t2, t3, t4, t5] = DST_INSTANTS;
  await sql`
    insert into profiles (email, full_name, role, is_master, created_at) values
      (${STAFF_EMAILS.master}, 'Store Owner', 'master', true, ${t0}::text::timestamptz),
      (${STAFF_EMAILS.admin}, ${AWKWARD_TEXT.combining}, 'admin', false, ${t1}::text::timestamptz),
      (${STAFF_EMAILS.staff}, ${AWKWARD_TEXT.emoji}, 'staff', false, ${t2}::text::timestamptz),
      (${STAFF_EMAILS.viewer}, ${AWKWARD_TEXT.rtl}, 'viewer', false, ${t3}::text::timestamptz),
      (${STAFF_EMAILS.nameless}, null, 'viewer', false, ${t4}::text::timestamptz)`;
  await sql`
    insert into app_settings (key, value, updated_at) values
      ('shop_domain', '"demo-store.myshopify.com"', ${t5}::text::timestamptz),
      ('currency', '"USD"', ${t0}::text::timestamptz),
      ('dashboard_preferences', ${JSON.stringify({
        greeting: AWKWARD_TEXT.rtl,
        note: AWKWARD_TEXT.copyEscapes,
        thresholds: { low_stock: 3, margin: 0.125, huge: 1e21 },
        empty: {},
        nothing: null,
      })}::text::jsonb, ${t1}::text::timestamptz)
    on conflict (key) do nothing`;

  // Manual tags: staff vocabulary with categories and colours, applied by a person.
  await sql`
    insert into tags (name, category, color, created_at) values
      ('vip 🌟', 'segment', '#A1b2C3', ${t2}::text::timestamptz),
      ('מבצע', 'promotion', '#00ff00', ${t3}::text::timestamptz),
      (${'cafe\u0301'}, null, null, ${t4}::text::timestamptz),
      ('needs photos', ${AWKWARD_TEXT.copyEscapes}, '#000000', ${t5}::text::timestamptz)
    on conflict (name) do nothing`;
  await sql`
    insert into tag_classifications (product_id, tag_id, source, created_by, created_at)
    select p.id, t.id, 'manual', (select id from profiles where email = ${STAFF_EMAILS.staff}), ${t0}::text::timestamptz
    from (select id from products order by id limit 3) p
    cross join (select id from tags where name in ('vip 🌟', 'מבצע', ${'cafe\u0301'}, 'needs photos')) t
    on conflict (product_id, tag_id) do nothing`;
  // a manual classification whose author has no profile any more (created_by set null)
  await sql`
    insert into tag_classifications (product_id, tag_id, source, created_by)
    select (select id from products order by id desc limit 1), id, 'manual', null from tags where name = 'needs photos'
    on conflict (product_id, tag_id) do nothing`;

  // Manual assets (not from Shopify) and their mappings, with extreme positions.
  await sql`
    insert into assets (kind, url, alt_text, shopify_image_id, created_at) values
      ('video', 'https://cdn.example.com/lookbook.mp4?x=1&y=ü', ${AWKWARD_TEXT.copyEscapes}, null, ${t1}::text::timestamptz),
      ('ad_creative', 'https://cdn.example.com/ad/🧵.png', ${AWKWARD_TEXT.nullWord}, null, ${t2}::text::timestamptz),
      ('document', 'https://cdn.example.com/care-guide.pdf', ${AWKWARD_TEXT.backslashN}, null, ${t3}::text::timestamptz),
      ('image', 'https://cdn.example.com/manual.jpg', null, null, ${t4}::text::timestamptz)`;
  await sql`
    insert into product_asset_mappings (product_id, asset_id, role, position, source, created_by, created_at)
    select p.id, a.id,
           case a.kind when 'video' then 'lifestyle' when 'ad_creative' then 'ad' else 'gallery' end,
           case a.kind when 'video' then ${EXTREMES.int32Max}::int when 'ad_creative' then ${EXTREMES.int32Min}::int else 0 end,
           'manual', (select id from profiles where email = ${STAFF_EMAILS.admin}), ${t5}::text::timestamptz
    from (select id from products order by id limit 2) p
    cross join (select id, kind from assets where shopify_image_id is null) a`;

  // Classification overrides: staff decided, never recomputed.
  await sql`
    update product_classifications
    set classification = 'A', is_manual = true, note = ${`${AWKWARD_TEXT.emoji}\n${AWKWARD_TEXT.rtl}`}, computed_at = ${t1}::text::timestamptz
    where product_id = (select id from products where deleted_at is null order by id limit 1)`;
  await sql`
    insert into product_classifications (product_id, classification, is_manual, note, computed_at)
    select id, 'DORMANT', true, null, ${t2}::text::timestamptz from products order by id desc limit 1
    on conflict (product_id) do update set classification = 'DORMANT', is_manual = true, note = null`;

  // Sync history, including a run that never finished and one that failed with a long error.
  await sql`
    insert into sync_runs (kind, status, started_at, finished_at, rows_processed, error) values
      ('full', 'succeeded', ${t0}::text::timestamptz, ${t1}::text::timestamptz, ${EXTREMES.int32Max}, null),
      ('orders', 'failed', ${t2}::text::timestamptz, ${t3}::text::timestamptz, 0, ${`Shopify answered 429\n\tat fetch (sync.js:12)\n${AWKWARD_TEXT.copyEscapes}`}),
      ('products', 'running', ${t4}::text::timestamptz, null, 17, null),
      ('marts', 'succeeded', ${t5}::text::timestamptz, ${t5}::text::timestamptz, 0, '')`;
}

/** Shopify-shaped rows at the limits of their columns (inserted directly: JSON numbers cannot hold them). */
export async function addExtremeShopifyRows(sql: Sql): Promise<void> {
  const [t0, t1, t2, t3] = DST_INSTANTS;
  await sql`
    insert into products (id, title, handle, vendor, product_type, status, tags, created_at, updated_at,
                          published_at, deleted_at, synced_at)
    values (${EXTREMES.int64Max}::bigint, ${AWKWARD_TEXT.copyEscapes}, 'edge', null, null, 'draft',
            ${['{curly}', 'quote"d', 'comma,in', 'NULL', '']}::text[], ${t0}::text::timestamptz, ${t1}::text::timestamptz, 'infinity', null, ${t2}::text::timestamptz)`;
  await sql`
    insert into product_variants (id, product_id, title, sku, price, compare_at_price, inventory_quantity,
                                  created_at, updated_at)
    values (${EXTREMES.int64Max}::bigint, ${EXTREMES.int64Max}::bigint, ${AWKWARD_TEXT.combining}, null,
            ${EXTREMES.money12}, ${`-${EXTREMES.money12}`}, ${EXTREMES.int32Min}, null, ${t3}::text::timestamptz)`;
  // A test order (excluded from the marts, so its extremes cannot overflow them).
  await sql`
    insert into orders (id, name, processed_at, created_at, updated_at, cancelled_at, currency, financial_status,
                        fulfillment_status, subtotal_price, total_discounts, total_tax, total_price, test, synced_at)
    values (${EXTREMES.int64Max}::bigint, '#∞', ${t1}::text::timestamptz, ${t0}::text::timestamptz, ${t2}::text::timestamptz, ${t3}::text::timestamptz, 'EUR', null, null,
            ${EXTREMES.money14}, ${EXTREMES.money14Negative}, 0, ${EXTREMES.money14}, true, ${t1}::text::timestamptz)`;
  await sql`
    insert into order_line_items (id, order_id, product_id, variant_id, title, sku, quantity, price, total_discount)
    values (${EXTREMES.int64Max}::bigint, ${EXTREMES.int64Max}::bigint, null, null, ${AWKWARD_TEXT.rtl}, ${AWKWARD_TEXT.backslashN},
            ${EXTREMES.int32Max}, ${EXTREMES.money12}, ${EXTREMES.money14})`;
  await sql`insert into refunds (id, order_id, created_at) values (${EXTREMES.int64Max}::bigint, ${EXTREMES.int64Max}::bigint, ${t2}::text::timestamptz)`;
  await sql`
    insert into refund_line_items (id, refund_id, line_item_id, quantity, subtotal)
    values (${EXTREMES.int64Max}::bigint, ${EXTREMES.int64Max}::bigint, ${EXTREMES.int64Max}::bigint, ${EXTREMES.int32Min},
            ${EXTREMES.money14Negative})`;
  await sql`
    insert into mart_performance_metrics (product_id, metric_date, orders_count, units_sold, units_refunded,
                                          gross_sales, discounts, refunds, net_sales)
    values (${EXTREMES.int64Max}::bigint, '2026-03-08', ${EXTREMES.int32Max}, ${EXTREMES.int32Max}, 0,
            ${EXTREMES.money14}, 0, 0, ${EXTREMES.money14}),
           (${EXTREMES.int64Max}::bigint, '2026-11-01', 0, 0, ${EXTREMES.int32Max},
            0, 0, ${EXTREMES.money14}, ${EXTREMES.money14Negative})`;
}

/** A legacy table read in names-map terms: new column names, every value as Postgres's text, ordered by key. */
export async function legacyRowsAsNew(
  sql: Sql,
  legacyTable: string,
  where = 'true',
): Promise<Record<string, string>[]> {
  const mapping = mappingForLegacyTable(legacyTable);
  const list = mappedColumns(mapping)
    .map((c) => `(${c.sql})::text as ${quoteIdent(c.newColumn)}`)
    .join(', ');
  const order = mapping.legacyKey.map(quoteIdent).join(', ');
  return sql.unsafe(`select ${list} from ${quoteIdent(legacyTable)} where ${where} order by ${order}`);
}

/** The new table mapped from a legacy table, its mapped columns as text, ordered by the (mapped) legacy key. */
export async function newRows(sql: Sql, legacyTable: string, where = 'true'): Promise<Record<string, string>[]> {
  const mapping = mappingForLegacyTable(legacyTable);
  const columns = mappedColumns(mapping);
  const list = columns.map((c) => `${quoteIdent(c.newColumn)}::text as ${quoteIdent(c.newColumn)}`).join(', ');
  const order = mapping.legacyKey
    .map((k) => quoteIdent(columns.find((c) => c.legacyColumn === k)?.newColumn ?? k))
    .join(', ');
  return sql.unsafe(`select ${list} from ${quoteIdent(mapping.newTable)} where ${where} order by ${order}`);
}

/** Every table of a database as sorted row texts: for "identical" and "unchanged" comparisons. */
export async function snapshotDatabase(sql: Sql, except: string[] = []): Promise<Record<string, string[]>> {
  const tables = await sql<{ name: string }[]>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') order by 1`;
  const snapshot: Record<string, string[]> = {};
  for (const { name } of tables) {
    if (except.includes(name)) continue;
    const rows = await sql.unsafe<{ row: string }[]>(`select t::text as row from ${quoteIdent(name)} t order by 1`);
    snapshot[name] = rows.map((r) => r.row);
  }
  return snapshot;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const CLI = fileURLToPath(new URL('../../scripts/migrate-legacy/cli.ts', import.meta.url));

/** `npm run migrate:legacy -- …` as an operator runs it: a child process with the two URLs in its environment. */
export function migrateLegacyCommand(
  args: string[],
  urls: { legacy: string; target: string },
): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, LEGACY_DATABASE_URL: urls.legacy, DATABASE_URL: urls.target },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export function migrateLegacy(args: string[], urls: { legacy: string; target: string }): Promise<CliResult> {
  return migrateLegacyCommand(args, urls).done;
}
