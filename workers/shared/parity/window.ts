/**
 * What a parity run compares: data up to the common watermark, the older of the two systems' last
 * completed sync (legacy sync_runs, new procedure_execution, read through the names map). Both
 * systems have every order processed before it; the day it falls on may still be incomplete in
 * one of them, so the last day compared is the shop-local day before the watermark's.
 *
 * - dated data (the performance mart) is compared through that day;
 * - the window of the top-products and daily checks is the 30 days ending on it (the legacy API's
 *   default window, which ends yesterday, when both systems synced today);
 * - current-state tables (classifications, mappings, tags) carry no time both systems agree on
 *   (a reload re-creates rows), so they are compared as they are.
 * Without a completed sync on either side, "now" stands in for the watermark.
 */
import { freshRead } from '../db/fresh.ts';
import { addDays, type DateWindow } from '../shop-calendar.ts';
import type { Side } from './sides.ts';

/**
 * The kinds of legacy sync_runs (and their new procedure_execution counterparts) that bring the
 * orders the mart is built from; a products-only sync says nothing about how recent the sales are.
 */
export const SYNC_KINDS = ['orders', 'full'] as const;

export const DEFAULT_WINDOW_DAYS = 30;

/** The longest window, as for dashboard windows (http/date-window.ts, not imported: scripts share this file). */
export const MAX_PARITY_WINDOW_DAYS = 731;

/** from/to: first and last shop-local day of the comparison window (inclusive). */
export interface ParityWindow extends DateWindow {
  /** The last day dated data is compared through (the day before the watermark's). */
  throughDate: string;
  /** The common watermark (ISO 8601), or null when neither system has a completed sync. */
  watermarkAt: string | null;
  legacySyncAt: string | null;
  newSyncAt: string | null;
  /** The shop timezone each side's settings name; the new side's decides the days. */
  timezone: string;
  legacyTimezone: string;
  /** 'requested' when the caller chose from/to. */
  source: 'watermark' | 'requested';
}

export interface WindowRequest {
  from?: string;
  to?: string;
  days?: number;
}

interface SideClock {
  sync_at: string | null;
  timezone: string;
}

async function readClock(side: Side): Promise<SideClock> {
  const runs = side.table('sync_runs');
  const kind = side.column('sync_runs', 'kind');
  const status = side.column('sync_runs', 'status');
  const finishedAt = side.column('sync_runs', 'finished_at');
  const settings = side.table('app_settings');
  const key = side.column('app_settings', 'key');
  const value = side.column('app_settings', 'value');
  const [row] = await side.sql<SideClock[]>`
    select (select to_char(max(${finishedAt}) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
              from ${runs}
             where ${status} = 'succeeded'
               and ${kind} in (select jsonb_array_elements_text(${JSON.stringify(SYNC_KINDS)}::text::jsonb))) as sync_at,
           coalesce((select ${value} #>> '{}' from ${settings} where ${key} = 'shop_timezone'), 'UTC') as timezone
    where ${freshRead(side.sql)}`;
  return row ?? { sync_at: null, timezone: 'UTC' };
}

export async function resolveParityWindow(
  legacy: Side,
  fresh: Side,
  request: WindowRequest = {},
): Promise<ParityWindow> {
  const [legacyClock, newClock] = await Promise.all([readClock(legacy), readClock(fresh)]);
  const syncTimes = [legacyClock.sync_at, newClock.sync_at].filter((t): t is string => t !== null);
  // The older of the two; with only one system synced, that one's.
  const watermarkAt = syncTimes.sort()[0] ?? null;
  const days = request.days ?? DEFAULT_WINDOW_DAYS;
  const [row] = await fresh.sql<{ through_date: string }[]>`
    select ((coalesce(${watermarkAt}::text::timestamptz, now()) at time zone ${newClock.timezone})::date - 1)::text
      as through_date`;
  const throughDate = row?.through_date ?? '';
  const to = request.to ?? throughDate;
  const from = request.from ?? addDays(to, -(days - 1));
  if (from > to) throw new RangeError(`the window from ${from} to ${to} is empty: from is after to`);
  const span = Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
  if (span > MAX_PARITY_WINDOW_DAYS) {
    throw new RangeError(`the window from ${from} to ${to} spans ${span} days; at most ${MAX_PARITY_WINDOW_DAYS}`);
  }
  return {
    from,
    to,
    throughDate,
    watermarkAt,
    legacySyncAt: legacyClock.sync_at,
    newSyncAt: newClock.sync_at,
    timezone: newClock.timezone,
    legacyTimezone: legacyClock.timezone,
    source: request.from || request.to ? 'requested' : 'watermark',
  };
}

/**
 * The window a run meant to compare, from the new database alone: recorded with a run that could
 * not complete (the legacy database unreachable, …).
 */
export async function fallbackWindow(fresh: Side, request: WindowRequest = {}): Promise<DateWindow> {
  const clock = await readClock(fresh);
  const [row] = await fresh.sql<{ through_date: string }[]>`
    select ((coalesce(${clock.sync_at}::text::timestamptz, now()) at time zone ${clock.timezone})::date - 1)::text
      as through_date`;
  const to = request.to ?? row?.through_date ?? '';
  const from = request.from ?? addDays(to, -((request.days ?? DEFAULT_WINDOW_DAYS) - 1));
  return from <= to ? { from, to } : { from: to, to };
}
