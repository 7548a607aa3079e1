/**
 * Shop-local calendar arithmetic with Intl only (no date library, no node: imports), so the
 * generator runs in Node and inside workerd alike. Local dates are "epoch days": whole days since
 * 1970-01-01 on the shop's calendar.
 */

const MS_PER_DAY = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Throws a RangeError naming the zone when it is not an IANA time zone this runtime knows. */
export function assertTimeZone(timeZone: string): void {
  try {
    formatterFor(timeZone);
  } catch {
    throw new RangeError(`unknown IANA time zone: ${timeZone}`);
  }
}

const QUARTER_HOUR_MS = 900_000;
const offsetsByZone = new Map<string, Map<number, number>>();

/**
 * The zone's offset from UTC at an instant, in milliseconds (positive east of Greenwich).
 * Intl is slow, and offsets change only at transitions, so the offset is remembered per quarter
 * hour — only when it is the same at both ends of that quarter hour (so a transition inside one is
 * never cached).
 */
export function zoneOffsetMs(instantMs: number, timeZone: string): number {
  const bucket = Math.floor(instantMs / QUARTER_HOUR_MS);
  let offsets = offsetsByZone.get(timeZone);
  if (!offsets || offsets.size > 200_000) {
    offsets = new Map();
    offsetsByZone.set(timeZone, offsets);
  }
  const cached = offsets.get(bucket);
  if (cached !== undefined) return cached;
  const atStart = exactZoneOffsetMs(bucket * QUARTER_HOUR_MS, timeZone);
  const atEnd = exactZoneOffsetMs((bucket + 1) * QUARTER_HOUR_MS - 1000, timeZone);
  if (atStart === atEnd) {
    offsets.set(bucket, atStart);
    return atStart;
  }
  return exactZoneOffsetMs(instantMs, timeZone);
}

function exactZoneOffsetMs(instantMs: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(instantMs))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const asUtc = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return asUtc - Math.floor(instantMs / 1000) * 1000;
}

/**
 * The UTC instant of a local wall-clock time (milliseconds after local midnight of `epochDay`).
 * In a DST gap the instant after the gap is used; in an overlap, the earlier one.
 */
export function localToUtcMs(epochDay: number, msAfterMidnight: number, timeZone: string): number {
  const wall = epochDay * MS_PER_DAY + msAfterMidnight;
  const first = wall - zoneOffsetMs(wall, timeZone);
  const second = wall - zoneOffsetMs(first, timeZone);
  return Math.min(first, second);
}

/** The shop-local epoch day an instant falls on. */
export function localEpochDay(instantMs: number, timeZone: string): number {
  return Math.floor((instantMs + zoneOffsetMs(instantMs, timeZone)) / MS_PER_DAY);
}

export function epochDayFromIsoDate(isoDate: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  if (!match) throw new RangeError(`expected a date as YYYY-MM-DD, got ${JSON.stringify(isoDate)}`);
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) / MS_PER_DAY;
}

export function isoDateFromEpochDay(epochDay: number): string {
  return new Date(epochDay * MS_PER_DAY).toISOString().slice(0, 10);
}

/** Shopify's timestamp shape: ISO 8601 in UTC, whole seconds, `Z`. */
export function shopifyTimestamp(instantMs: number): string {
  return `${new Date(Math.floor(instantMs / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

export { MS_PER_DAY };
