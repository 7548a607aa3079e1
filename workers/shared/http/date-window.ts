/**
 * The legacy API's date window: `from`/`to` are inclusive shop-local dates (YYYY-MM-DD); `to`
 * defaults to yesterday in the shop's time zone, `from` to 29 days before `to` (30 days in all);
 * `from` after `to`, or a window longer than 731 days, is a 400.
 */
import { z } from 'zod';
import type { Queryable } from '../db/client.ts';
import { shopToday } from '../marts/shop-timezone.ts';
import { ApiError } from './errors.ts';

export const MAX_WINDOW_DAYS = 731;
export const DEFAULT_WINDOW_DAYS = 30;

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

/** Yesterday on the shop's calendar (configuration_setting shop_timezone, UTC when unset). */
export async function shopYesterday(sql: Queryable): Promise<string> {
  return addDays(await shopToday(sql), -1);
}

export interface DateWindow {
  from: string;
  to: string;
}

export async function resolveDateWindow(sql: Queryable, query: { from?: string; to?: string }): Promise<DateWindow> {
  const to = query.to ?? (await shopYesterday(sql));
  const from = query.from ?? addDays(to, -(DEFAULT_WINDOW_DAYS - 1));
  if (from > to) {
    throw new ApiError(400, 'invalid request', [{ path: 'from', message: `must not be after to (${to})` }]);
  }
  const days = daysBetween(from, to) + 1;
  if (days > MAX_WINDOW_DAYS) {
    throw new ApiError(400, 'invalid request', [
      { path: 'from', message: `the window from ${from} to ${to} spans ${days} days; at most ${MAX_WINDOW_DAYS}` },
    ]);
  }
  return { from, to };
}
