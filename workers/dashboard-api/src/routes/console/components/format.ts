/**
 * How the console writes numbers: every difference as a signed percent with two decimals, money in
 * the shop's currency, durations and sizes for people. One home, so every table and chart agrees.
 */

/** Decimals of every percent the console shows (differences and tolerances alike). */
export const PERCENT_DECIMALS = 2;

const MINUS = '\u2212';

/**
 * (new − legacy) / max(|legacy|, |new|): the checks' symmetric relative difference, with the sign
 * saying which side is higher. Null when a side is missing a value to compare.
 */
export function signedDifference(legacy: number | null, fresh: number | null): number | null {
  if (legacy === null && fresh === null) return 0;
  const a = legacy ?? 0;
  const b = fresh ?? 0;
  const scale = Math.max(Math.abs(a), Math.abs(b));
  return scale === 0 ? 0 : (b - a) / scale;
}

/** "+1.25%", "−30.00%", "0.00%"; "—" for nothing to compare. */
export function signedPercent(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '—';
  const text = Math.abs(value * 100).toFixed(PERCENT_DECIMALS);
  if (Number(text) === 0) return `${(0).toFixed(PERCENT_DECIMALS)}%`;
  return `${value > 0 ? '+' : MINUS}${text}%`;
}

/** A tolerance is a band either side of zero: "±1.00%". */
export function tolerancePercent(value: number): string {
  return `±${(value * 100).toFixed(PERCENT_DECIMALS)}%`;
}

export type MoneyFormat = (amount: number | null) => string;

/** Money in the shop's currency (an ISO 4217 code); an unknown code falls back to the plain number. */
export function moneyFormat(currency: string): MoneyFormat {
  let format: Intl.NumberFormat;
  try {
    format = new Intl.NumberFormat('en-US', { style: 'currency', currency, currencyDisplay: 'narrowSymbol' });
  } catch {
    format = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  return (amount) => (amount === null ? '—' : format.format(amount).replace('-', MINUS));
}

const counts = new Intl.NumberFormat('en-US');

export function count(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : counts.format(value).replace('-', MINUS);
}

/** 1536 → "1.5 KiB". */
export function bytes(value: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = value;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit++;
  }
  return `${unit === 0 ? n : n.toFixed(1)} ${units[unit]}`;
}

/** 3725 → "1 h 2 min", 42 → "42 s". */
export function duration(seconds: number | null): string {
  if (seconds === null) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  const hours = Math.floor(s / 3600);
  if (hours < 48) return `${hours} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** "2026-10-05T06:30:00.000Z" → "2026-10-05 06:30 UTC". */
export function timestamp(iso: string | null): string {
  if (!iso) return '—';
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** Axis labels: "$12K", "€1.2M". */
export function compactMoneyFormat(currency: string): MoneyFormat {
  let format: Intl.NumberFormat;
  try {
    format = new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency,
      currencyDisplay: 'narrowSymbol',
      notation: 'compact',
      maximumFractionDigits: 1,
    });
  } catch {
    format = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
  }
  return (amount) => (amount === null ? '—' : format.format(amount).replace('-', MINUS));
}
