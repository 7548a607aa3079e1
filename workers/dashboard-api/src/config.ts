/**
 * The dashboard-api's configuration: one schema over its bindings and variables, section by
 * section (workers/shared/config.ts). Each section is read where it is used, so a problem is a
 * 503 naming it there: the Worker and Access sections on every request, the others on their routes.
 */
import { z } from 'zod';
import { accessSection } from '../../shared/access/config.ts';
import { configSection, defineWorkerConfig, workerSection } from '../../shared/config.ts';
import { healthSection } from '../../shared/health.ts';
import { cutoverGateSection } from '../../shared/parity/cutover-gate.ts';
import { paritySection } from '../../shared/parity/standard.ts';

/** Comma-separated origins allowed to call /api/* from a browser. */
const corsSection = configSection<string[]>(
  'CORS',
  z
    .object({ CORS_ALLOWED_ORIGINS: z.string({ message: 'must be a comma-separated list of origins' }).default('') })
    .transform((vars) =>
      vars.CORS_ALLOWED_ORIGINS.split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    ),
);

export const dashboardApiConfig = defineWorkerConfig({
  worker: workerSection(['HYPERDRIVE', 'LEGACY_HYPERDRIVE', 'INGEST_QUEUE']),
  access: accessSection,
  cors: corsSection,
  health: healthSection,
  parity: paritySection,
  cutoverGate: cutoverGateSection,
});
