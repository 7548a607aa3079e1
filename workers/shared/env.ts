/**
 * The Worker's bindings, as `wrangler types` generated them from its wrangler config (npm run
 * cf-typegen → workers/<worker>/worker-configuration.d.ts). Each Worker's tsconfig includes only
 * its own file, and workers/shared is checked under both, so shared code can use only what both
 * Workers bind. Variables are read typed through the Worker's configuration schema (./config.ts,
 * workers/<worker>/src/config.ts), not from here.
 */
export type Env = Cloudflare.Env;
