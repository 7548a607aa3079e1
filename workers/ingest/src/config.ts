/**
 * The ingest Worker's configuration: one schema over its bindings and variables, section by
 * section (workers/shared/config.ts). Each section is read where it is used: the Worker section by
 * every entry point, Access by /replay (so a placeholder AUD leaves the queue and webhooks
 * running), the Shopify sections by a sync and a webhook.
 */
import { accessSection } from '../../shared/access/config.ts';
import { defineWorkerConfig, workerSection } from '../../shared/config.ts';
import { healthSection } from '../../shared/health.ts';
import { livenessSection } from '../../shared/procedures/watchdog.ts';
import { shopifySection, webhookSecretsSection } from '../../shared/shopify/config.ts';

export const ingestConfig = defineWorkerConfig({
  worker: workerSection(['HYPERDRIVE', 'RAW_ARCHIVE', 'INGEST_QUEUE']),
  access: accessSection,
  health: healthSection,
  liveness: livenessSection,
  shopify: shopifySection,
  webhookSecrets: webhookSecretsSection,
});
