/**
 * The one pagination helper of the REST API: keyset pagination with an opaque cursor. A cursor is
 * base64url JSON of the last row's sort key and id (plus the sort it belongs to); it is not signed
 * (it grants nothing a caller could not ask for directly) but it is validated with a zod schema, so
 * a forged or mangled cursor is a 400, never a query error.
 */
import { z } from 'zod';
import { ApiError } from './errors.ts';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('not base64url');
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'));
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
}

export function encodeCursor(position: unknown): string {
  return toBase64Url(JSON.stringify(position));
}

/** Decodes a cursor into `schema`'s shape, or throws a 400 invalid_request. */
export function decodeCursor<S extends z.ZodType>(cursor: string, schema: S): z.output<S> {
  let position: unknown;
  try {
    position = JSON.parse(fromBase64Url(cursor));
  } catch {
    throw new ApiError(400, 'invalid cursor', [{ path: 'cursor', message: 'is not a cursor this API returned' }]);
  }
  const parsed = schema.safeParse(position);
  if (!parsed.success) {
    throw new ApiError(400, 'invalid cursor', [
      { path: 'cursor', message: 'is not a cursor this API returned for this list and sort order' },
    ]);
  }
  return parsed.data;
}

/**
 * Builds a page from `limit + 1` fetched rows: the extra row only says there is a next page, whose
 * cursor is the position of the last row returned.
 */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  position: (row: Row) => unknown,
  item: (row: Row) => Item,
): Page<Item> {
  const pageRows = rows.slice(0, limit);
  const last = pageRows.at(-1);
  return {
    data: pageRows.map(item),
    next_cursor: rows.length > limit && last !== undefined ? encodeCursor(position(last)) : null,
  };
}

/** Cursor positions are ordinary JSON values; these schemas describe the common ones. */
export const cursorSchemas = {
  /** A timestamp at microsecond precision (as `isoMicros` writes it) and a text id. */
  timestampAndUuid: z.strictObject({
    k: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
    id: z.guid(),
  }),
};
