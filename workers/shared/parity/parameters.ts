/**
 * What a parity run may be asked for: the POST /api/parity-checks body and the parameters of a
 * `parity_check` ProcedureExecution are the same object, validated by this one schema.
 */
import { z } from 'zod';
import { MAX_WINDOW_DAYS } from '../http/date-window.ts';
import { addDays, daysBetween, shopDateSchema } from '../shop-calendar.ts';

/** Like dashboard windows: a run over decades would build millions of daily objects in the consumer. */
const windowTooLong = `must leave a window of at most ${MAX_WINDOW_DAYS} days`;

export const parityParametersSchema = z
  .strictObject({
    from: shopDateSchema.optional(),
    to: shopDateSchema.optional(),
    tolerance: z
      .number({ message: 'must be a number greater than 0 and below 1 (0.01 = 1%)' })
      .gt(0, 'must be greater than 0 (0.01 = 1%)')
      .lt(1, 'must be below 1 (0.01 = 1%)')
      .optional(),
  })
  .refine((p) => !p.from || !p.to || p.from <= p.to, { message: 'must not be after to', path: ['from'] })
  .refine((p) => !p.from || !p.to || daysBetween(p.from, p.to) + 1 <= MAX_WINDOW_DAYS, {
    message: windowTooLong,
    path: ['from'],
  })
  // Without `to` the window ends before today, so a `from` this recent keeps it within the cap.
  .refine((p) => !p.from || p.to || p.from >= addDays(new Date().toISOString().slice(0, 10), -(MAX_WINDOW_DAYS - 1)), {
    message: windowTooLong,
    path: ['from'],
  });

export type ParityParameters = z.infer<typeof parityParametersSchema>;
