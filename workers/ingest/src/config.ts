/**
 * The ingest Worker's configuration: one schema over its bindings and variables, section by
 * section (workers/shared/config.ts). Each section is read where it is used: the Worker section by
 * every entry point, Access by /replay (so a placeholder AUD leaves the queue and webhooks
 * running), the Shopify sections by a sync and a webhook.
 */

import { z } from 'zod';
import { accessSection } from '../../shared/access/config.ts';
import { blankAsUnset, configSection, defineWorkerConfig, ENVIRONMENTS, workerSection } from '../../shared/config.ts';
import { healthSection } from '../../shared/health.ts';
import { paritySection } from '../../shared/parity/standard.ts';
import { livenessSection } from '../../shared/procedures/watchdog.ts';
import { retentionSection } from '../../shared/retention.ts';
import { shopifySection, webhookSecretsSection } from '../../shared/shopify/config.ts';

/**
 * INGEST_RETRY_DELAY_CAP_SECONDS caps the consumer's retry backoffs so a test sees a message through
 * all its deliveries into the dead-letter queue in seconds; honoured only when ENVIRONMENT is test.
 */
const retryDelayCapSection = configSection<number | null>(
  'Worker',
  z
    .object({
      ENVIRONMENT: z.enum(ENVIRONMENTS).optional().catch(undefined),
      INGEST_RETRY_DELAY_CAP_SECONDS: z.preprocess(
        blankAsUnset,
        z.coerce.number({ message: 'must be a number of seconds' }).min(0, 'must be ≥ 0').optional(),
      ),
    })
    .transform((vars) => (vars.ENVIRONMENT === 'test' ? (vars.INGEST_RETRY_DELAY_CAP_SECONDS ?? null) : null)),
);

export const ingestConfig = defineWorkerConfig({
  worker: workerSection(['HYPERDRIVE', 'RAW_ARCHIVE', 'INGEST_QUEUE']),
  access: accessSection,
  health: healthSection,
  parity: paritySection,
  liveness: livenessSection,
  retention: retentionSection,
  retryDelayCap: retryDelayCapSection,
  shopify: shopifySection,
  webhookSecrets: webhookSecretsSection,
});
