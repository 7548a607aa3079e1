/** Value shapes the API's response schemas share, for domain modules and routes alike. */
import { z } from '@hono/zod-openapi';

/** ISO 8601 UTC with `Z` (toIsoTimestamp's output). */
export const isoTimestamp = z.string().openapi({ format: 'date-time', example: '2026-11-22T10:11:12.345Z' });
