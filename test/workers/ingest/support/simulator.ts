/**
 * The Shopify simulator's control API, from inside Workers tests (its URL comes from the bindings).
 * Fault knobs as scripts/shopify-simulator/state.ts SimulatorFaults describes them (not imported:
 * that module is Node-only).
 */
import { env } from 'cloudflare:workers';
import type { GeneratedStore, StoreOptions } from '#scripts/store-generator/generate.ts';

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
  requests: () => control('requests') as Promise<SimulatorRequest[]>,
};

export interface SimulatorRequest {
  kind: string;
  path: string;
  status: number;
  outcome?: string;
  operationName?: string;
  /** The fault knobs that shaped this answer (scripts/shopify-simulator/state.ts RequestLogEntry). */
  faults?: string[];
}

/**
 * The simulator's answers that `knob` shaped, from its request log: proof the fault fired. A
 * test asserts how many it expects (exactly the knob's `times`, or at least one where the knob
 * shows in every poll of the operation it changed).
 */
export async function answersShapedBy(knob: string): Promise<SimulatorRequest[]> {
  return (await simulator.requests()).filter((entry) => entry.faults?.includes(knob));
}

/** A one-line account of the answers, for the reliability record. */
export function describeAnswers(answers: SimulatorRequest[]): string {
  const counts = new Map<string, number>();
  for (const a of answers) {
    const key = `${a.kind} ${a.operationName ?? ''} ${a.status} ${a.outcome ?? ''}`.replace(/\s+/g, ' ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, n]) => `${n}× ${key}`).join('; ');
}
