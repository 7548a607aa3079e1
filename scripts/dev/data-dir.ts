/**
 * Where `npm start` keeps its state (git-ignored): embedded Postgres, the demo store, the local
 * Access signer's keys and wrangler's local R2 and queue state. DASHBOARD_DATA_DIR moves it (the
 * start test uses a temporary folder); the default is `.data/` in the project.
 */
import { join, resolve } from 'node:path';
import { PROJECT_ROOT } from '../lib/migrations.ts';

export const DATA_DIR = resolve(process.env.DASHBOARD_DATA_DIR || join(PROJECT_ROOT, '.data'));

/** The local Access signer's key pair (scripts/dev/access-signer.ts, `npm run token`). */
export const ACCESS_SIGNER_KEY_FILE = join(DATA_DIR, 'access-signer/keys.json');
