/**
 * How the legacy API writes values in JSON: timestamps as ISO 8601 UTC with `Z` (as JavaScript's
 * Date#toISOString), money as numbers rounded to 2 decimals, Shopify ids as numbers.
 *
 * postgres.js (with drizzle's parsers) hands timestamps over as Postgres text, e.g.
 * `2026-11-22 10:11:12.345678+00` or `…-05:30`, in the session's time zone; these helpers turn
 * them into the legacy format deliberately instead of relying on the session's settings.
 */
const POSTGRES_TIMESTAMPTZ =
  /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?([+-]\d{2})(?::?(\d{2}))?(?::?(\d{2}))?$/;

export function toIsoTimestamp(value: string | Date): string;
export function toIsoTimestamp(value: string | Date | null | undefined): string | null;
export function toIsoTimestamp(value: string | Date | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  const match = POSTGRES_TIMESTAMPTZ.exec(value);
  if (!match) {
    const parsed = new Date(value);
    if (Number.isNaN(parsed.getTime())) throw new TypeError(`not a timestamp: ${value}`);
    return parsed.toISOString();
  }
  const [, date, time, fraction = '', hours = '+00', minutes = '00', seconds = '00'] = match;
  const millis = fraction.padEnd(3, '0').slice(0, 3);
  const offsetSign = hours.startsWith('-') ? -1 : 1;
  const offsetMs =
    offsetSign * (Math.abs(Number(hours)) * 3600_000 + Number(minutes) * 60_000 + Number(seconds) * 1000);
  const localMs = Date.parse(`${date}T${time}.${millis}Z`);
  return new Date(localMs - offsetMs).toISOString();
}

/** A Postgres numeric (text) or number as a JSON number with at most 2 decimals. */
export function toMoney(value: string | number | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return Math.round(Number(value) * 100) / 100;
}

/** A Postgres bigint/int (text) as a JSON number (Shopify ids and counts fit in 2^53). */
export function toNumber(value: string | number): number;
export function toNumber(value: string | number | null | undefined): number | null;
export function toNumber(value: string | number | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  return Number(value);
}
