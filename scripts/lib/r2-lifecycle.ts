/**
 * The R2 archive's lifecycle rule, set by `npm run deploy` (scripts/deploy.ts): raw Shopify exports
 * expire RAW_ARCHIVE_RETENTION_DAYS after they were written (a var of the ingest Worker's
 * environment; default 400 days: longer than the year of history a replay may be asked to rebuild,
 * docs/operations.md "Retention"). Set with `wrangler r2 bucket lifecycle set`, which replaces the bucket's
 * rules, so deploying again is harmless.
 */
import { z } from 'zod';

export const DEFAULT_ARCHIVE_RETENTION_DAYS = 400;
export const ARCHIVE_RULE_ID = 'expire-raw-exports';

export interface ArchiveLifecycle {
  bucket: string;
  days: number;
  /** The body of `wrangler r2 bucket lifecycle set --file`. */
  policy: { rules: object[] };
}

const daysSchema = z.coerce
  .number({ message: 'must be a whole number of days ≥ 1' })
  .int('must be a whole number of days ≥ 1')
  .min(1, 'must be a whole number of days ≥ 1');

/** The rule for the ingest Worker's RAW_ARCHIVE bucket in `environment`, from its wrangler config. */
export async function archiveLifecycle(configPath: string, environment: string): Promise<ArchiveLifecycle> {
  const { experimental_readRawConfig } = await import('wrangler');
  const { rawConfig } = experimental_readRawConfig({ config: configPath });
  const section = (rawConfig.env?.[environment] ?? {}) as {
    r2_buckets?: { binding: string; bucket_name?: string }[];
    vars?: Record<string, unknown>;
  };
  const bucket = section.r2_buckets?.find((b) => b.binding === 'RAW_ARCHIVE')?.bucket_name;
  if (!bucket) throw new Error(`${configPath}: env.${environment} has no RAW_ARCHIVE bucket`);
  const raw = section.vars?.RAW_ARCHIVE_RETENTION_DAYS;
  const parsed = daysSchema.safeParse(raw === undefined || raw === '' ? DEFAULT_ARCHIVE_RETENTION_DAYS : raw);
  if (!parsed.success) {
    throw new Error(
      `${configPath}: env.${environment}.vars.RAW_ARCHIVE_RETENTION_DAYS ${parsed.error.issues[0]?.message}`,
    );
  }
  const days = parsed.data;
  return {
    bucket,
    days,
    policy: {
      rules: [
        {
          id: ARCHIVE_RULE_ID,
          enabled: true,
          conditions: { prefix: '' },
          deleteObjectsTransition: { condition: { type: 'Age', maxAge: days * 86_400 } },
        },
      ],
    },
  };
}
