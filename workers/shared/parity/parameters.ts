/**
 * What a parity run may be asked for: the POST /api/parity-checks body and the parameters of a
 * `parity_check` ProcedureExecution are the same object, validated by this one schema.
 */
import { z } from 'zod';
import { shopDateSchema } from '../shop-calendar.ts';

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
  .refine((p) => !p.from || !p.to || p.from <= p.to, { message: 'must not be after to', path: ['from'] });

export type ParityParameters = z.infer<typeof parityParametersSchema>;
