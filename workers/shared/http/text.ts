/** Text input rules every route shares. */
import { z } from 'zod';

/** Postgres text cannot hold NUL; refusing it here keeps it a 400 instead of a query error. */
export function safeText(maxLength: number) {
  return z
    .string()
    .max(maxLength, `must be at most ${maxLength} characters`)
    .refine((value) => !value.includes('\u0000'), 'must not contain NUL characters');
}

/** For ILIKE patterns: the caller's text matches literally (`%`, `_` and `\` lose their meaning). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/** `%text%` for a case-insensitive substring match with ILIKE. */
export function containsPattern(text: string): string {
  return `%${escapeLike(text)}%`;
}
