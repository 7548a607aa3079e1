/**
 * The legacy API's date window: `from`/`to` are inclusive shop-local dates (YYYY-MM-DD); `to`
 * defaults to yesterday in the shop's time zone, `from` to 29 days before `to` (30 days in all);
 * `from` after `to`, or a window longer than 731 days, is a 400.
 */

import type { Queryable } from '#shared/db/types.ts';
import { addDays, type DateWindow, daysBetween, shopYesterday } from '../shop-calendar.ts';
import { ApiError } from './errors.ts';

export const MAX_WINDOW_DAYS = 731;
export const DEFAULT_WINDOW_DAYS = 30;

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
