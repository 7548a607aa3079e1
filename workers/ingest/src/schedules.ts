/**
 * The Cron Triggers: cron expression → the ProcedureExecution it starts. The one source of the
 * schedule; `[triggers] crons` of every environment in workers/ingest/wrangler.toml must list
 * exactly these (test/unit/ingest-wrangler-config.test.ts reads the config and compares).
 * Plain data with no imports, so that Node test can read it; scheduled.ts checks the kinds.
 */
export const SCHEDULES = {
  '*/15 * * * *': { kind: 'full', parameters: { mode: 'incremental' } },
  '0 3 * * *': { kind: 'full', parameters: { mode: 'full' } },
  '30 6 * * *': { kind: 'parity_check', parameters: {} },
} as const;
