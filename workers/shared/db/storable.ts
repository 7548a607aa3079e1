/**
 * Text as Postgres can store it: text and jsonb refuse NUL, and jsonb refuses an unpaired UTF-16
 * surrogate (JSON.stringify writes it as a \u escape); both become U+FFFD, as a text column's
 * encoding turns an unpaired surrogate into. For excerpts, webhook payloads and every jsonb write.
 */

/** Replaces what Postgres text cannot hold (NUL, unpaired surrogates) with U+FFFD. */
export function storableText(text: string): string {
  return text.replaceAll('\u0000', '\uFFFD').replace(/[\uD800-\uDFFF]/g, (c, i: number, s: string) => {
    const code = c.charCodeAt(0);
    const pairedHigh = code <= 0xdbff && /[\uDC00-\uDFFF]/.test(s[i + 1] ?? '');
    const pairedLow = code >= 0xdc00 && /[\uD800-\uDBFF]/.test(s[i - 1] ?? '');
    return pairedHigh || pairedLow ? c : '\uFFFD';
  });
}

/** A value as jsonb can hold it once JSON.stringify has written it: storableText on every string and key. */
export function storableJson(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  // what JSON.stringify would write for it (a Date's ISO text), not its own properties
  if (typeof (value as { toJSON?: unknown } | null)?.toJSON === 'function') {
    return storableJson((value as { toJSON(): unknown }).toJSON());
  }
  if (Array.isArray(value)) return value.map(storableJson);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [storableText(key), storableJson(item)]));
  }
  return value;
}
