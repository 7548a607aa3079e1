/**
 * The Shopify simulator's control API, from inside Workers tests (its URL comes from the bindings).
 * Fault knobs as scripts/shopify-simulator/server.ts SimulatorFaults describes them (not imported:
 * that module is Node-only).
 */
import { env } from 'cloudflare:workers';
import type { GeneratedStore, StoreOptions } from '../../../../scripts/store-generator/generate.ts';

export type FaultsPatch = Record<string, number | boolean | Record<string, number | string>>;

export function simulatorUrl(): string {
  const admin = (env as unknown as { SHOPIFY_ADMIN_API_URL: string }).SHOPIFY_ADMIN_API_URL;
  return admin.replace(/\/admin\/api\/.*$/, '');
}

async function control(path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${simulatorUrl()}/__simulator/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const result = await response.json();
  if (!response.ok) throw new Error(`simulator ${path}: ${JSON.stringify(result)}`);
  return result;
}

export const simulator = {
  reset: () => control('reset', {}),
  setStore: (store: { generate: StoreOptions } | { store: GeneratedStore }) => control('store', store),
  setFaults: (faults: FaultsPatch) => control('faults', faults),
  configure: (config: Record<string, unknown>) => control('config', config),
  operations: () => control('operations') as Promise<{ id: string; status: string; failure: string | null }[]>,
  requests: () => control('requests') as Promise<{ kind: string; path: string; status: number; outcome?: string }[]>,
};
