/**
 * The Cron Triggers: cron expression → the ProcedureExecution it starts. The one source of the
 * schedule; `[triggers] crons` of every environment in workers/ingest/wrangler.toml must list
 * exactly these (test/unit/ingest-wrangler-config.test.ts reads the config and compares).
 * Plain data with no imports, so that Node test can read it; scheduled.ts checks the kinds.
 * intervalSeconds: how often the cron fires; a skipped run older than twice this is a warning.
 */
export const SCHEDULES = {
  '*/15 * * * *': { kind: 'full', parameters: { mode: 'incremental' }, intervalSeconds: 15 * 60 },
  '0 3 * * *': { kind: 'full', parameters: { mode: 'full' }, intervalSeconds: 24 * 3600 },
  '30 6 * * *': { kind: 'parity_check', parameters: {}, intervalSeconds: 24 * 3600 },
} as const;

/** The daily retention (workers/shared/retention.ts): a few bounded statements, run in place. */
export const RETENTION_CRON = '45 4 * * *';

/** Every Cron Trigger of the ingest Worker. */
export const CRONS = [...Object.keys(SCHEDULES), RETENTION_CRON];

/** The schedule that runs the watchdog (workers/shared/procedures/watchdog.ts) before it starts anything. */
export const WATCHDOG_CRON = '*/15 * * * *';
