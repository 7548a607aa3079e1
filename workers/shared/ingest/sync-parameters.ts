/** The parameters of a sync execution, and the pace of its polls and waits that they set. */
import { z } from 'zod';

/** How long a step waits for another bulk operation (or a conflicting child) to end before it gives up. */
export const MAX_WAITS_FOR_OTHER_OPERATION = 90;

const pollSeconds = z.number().int().min(0).max(600).optional();

export const syncParametersSchema = z.object({
  mode: z.enum(['incremental', 'full']).optional(),
  /** Seconds between polls of a running bulk operation (default 10; tests use 1). */
  poll_seconds: pollSeconds,
  /** Bytes of JSONL per archive segment (default 4 MiB; tests use less to get many segments). */
  segment_bytes: z.number().int().min(1).optional(),
  /** Bytes of a bulk export one download step archives (default DOWNLOAD_STEP_BYTES; tests use less). */
  download_step_bytes: z.number().int().min(1).optional(),
});
export type SyncParameters = z.input<typeof syncParametersSchema>;
export type ParsedSyncParameters = z.infer<typeof syncParametersSchema>;

/** Seconds before the next poll: `poll_seconds`, doubling every ten polls up to a minute. */
export function delay(parameters: { poll_seconds?: number }, polls = 0): number {
  const base = parameters.poll_seconds ?? 10;
  return Math.min(60, base * 2 ** Math.min(3, Math.floor(polls / 10)));
}
