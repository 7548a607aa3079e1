/**
 * Names of the databases the test harness creates on the test Postgres server. Plain constants so
 * both the Node global setup and the Workers tests (inside workerd) can import them.
 */
export const APP_TEMPLATE = 'test_template_app';
export const LEGACY_TEMPLATE = 'test_template_legacy';

/** Each Workers test project has its own pair, re-cloned from the templates before every file. */
export const WORKER_PROJECT_DATABASES = {
  'dashboard-api': { app: 'test_workers_dashboard_api', legacy: 'test_workers_dashboard_api_legacy' },
  ingest: { app: 'test_workers_ingest', legacy: 'test_workers_ingest_legacy' },
} as const;

export type WorkerProject = keyof typeof WORKER_PROJECT_DATABASES;
