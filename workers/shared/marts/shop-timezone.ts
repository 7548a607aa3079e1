/**
 * The shop's IANA timezone decides which local day a sale or refund belongs to, exactly as the
 * legacy `shop_timezone()`: configuration_setting 'shop_timezone' (a JSON string), else UTC.
 */
import type { Queryable } from '../db/queryable.ts';

export type { Queryable } from '../db/queryable.ts';

export const SHOP_TIMEZONE_SETTING = 'shop_timezone';

export async function shopTimezone(sql: Queryable): Promise<string> {
  const [row] = await sql<{ timezone: string }[]>`
    select coalesce(
      (select setting_value #>> '{}' from configuration_setting where setting_key = ${SHOP_TIMEZONE_SETTING}),
      'UTC') as timezone`;
  return row?.timezone ?? 'UTC';
}

/** Today's date in the shop timezone, 'YYYY-MM-DD' (e.g. for defaulting `to` to yesterday). */
export async function shopToday(sql: Queryable): Promise<string> {
  const [row] = await sql<{ today: string }[]>`
    select (now() at time zone coalesce(
      (select setting_value #>> '{}' from configuration_setting where setting_key = ${SHOP_TIMEZONE_SETTING}),
      'UTC'))::date::text as today`;
  return row?.today ?? new Date().toISOString().slice(0, 10);
}
