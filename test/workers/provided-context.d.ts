/**
 * What the global setup (test/global-setup.ts, Node) provides, as the Workers tests see it through
 * `inject()`; the Node side declares the same in global-setup.ts.
 */
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Shopify simulator's base URL (control API at /__simulator/…); see test/support/shopify-simulator.ts. */
    shopifySimulatorUrl: string;
    /** Whether the Worker's Hyperdrive bindings go through the query cache emulation (HYPERDRIVE_CACHE). */
    hyperdriveCacheOn: boolean;
  }
}
