/**
 * The shop's calendar, shared by the marts, the parity checks and the HTTP layer:
 * - its IANA timezone decides which local day a sale or refund belongs to, exactly as the legacy
 *   `shop_timezone()`: configuration_setting 'shop_timezone' (a JSON string), else UTC;
 * - its dates are YYYY-MM-DD strings, and a DateWindow is an inclusive range of them.
 */
import { z } from 'zod';
import type { Queryable } from '#shared/db/types.ts';

export const SHOP_TIMEZONE_SETTING = 'shop_timezone';

/** Inclusive shop-local dates, YYYY-MM-DD. */
export interface DateWindow {
  from: string;
  to: string;
}

const MS_PER_DAY = 86_400_000;

function isCalendarDate(value: string): boolean {
  const [year, month, day] = value.split('-').map(Number) as [number, number, number];
  if (year < 1900 || year > 9999) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** A shop-local calendar date, YYYY-MM-DD, between 1900 and 9999. */
export const shopDateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine(isCalendarDate, 'must be a real calendar date between 1900-01-01 and 9999-12-31');

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * MS_PER_DAY).toISOString().slice(0, 10);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / MS_PER_DAY);
}

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

/** Yesterday on the shop's calendar (configuration_setting shop_timezone, UTC when unset). */
export async function shopYesterday(sql: Queryable): Promise<string> {
  return addDays(await shopToday(sql), -1);
}
