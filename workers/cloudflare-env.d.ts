// Types `env` from 'cloudflare:workers' / 'cloudflare:test' as the Workers' Env.
import type { Env as WorkerEnv } from './shared/env.ts';

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
  }
}
