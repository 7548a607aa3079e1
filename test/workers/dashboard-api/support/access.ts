/**
 * The local Cloudflare Access stand-in inside workerd: a signer (scripts/dev/local-access-signer.ts)
 * whose JWKS is served at a loopback URL of its own. The Worker fetches that URL with jose exactly
 * as it fetches the team's certs in production; `fetch` to it is answered from the signer (the
 * Worker runs in the tests' isolate), every other fetch goes out unchanged.
 */
import { env } from 'cloudflare:workers';
import { vi } from 'vitest';
import {
  CERTS_PATH,
  createLocalAccessSigner,
  type LocalAccessSigner,
  type LocalIdentity,
  type TokenOptions,
} from '#scripts/dev/local-access-signer.ts';
import type { Env } from '#shared/env.ts';

const served = new Map<string, LocalAccessSigner>();
/** How many times each JWKS URL was fetched (the rotation test counts them). */
export const jwksFetches = new Map<string, number>();
let signerCount = 0;

/** A JWKS URL whose server answers 503 (Access's certs endpoint being down). */
export const UNAVAILABLE_JWKS_URL = 'http://127.0.0.1:9/unavailable/cdn-cgi/access/certs';
let installed = false;

export function installJwksServer(): void {
  if (installed) return;
  installed = true;
  const passThrough = globalThis.fetch.bind(globalThis);
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.startsWith(UNAVAILABLE_JWKS_URL)) return new Response('upstream unavailable', { status: 503 });
    const signer = served.get(url);
    if (!signer) return passThrough(input, init);
    jwksFetches.set(url, (jwksFetches.get(url) ?? 0) + 1);
    return Response.json(signer.jwks());
  });
}

export interface TestAccess {
  signer: LocalAccessSigner;
  /** The ACCESS_JWKS_URL this signer is served at. */
  jwksUrl: string;
  /** The test env: the wrangler.toml development vars with this signer as the key source. */
  env: Env;
  token(identity: LocalIdentity, options?: TokenOptions): Promise<string>;
  headers(identity: LocalIdentity, options?: TokenOptions): Promise<Record<string, string>>;
}

/** A signer with a URL of its own, so each test file (or test) starts with an empty key cache. */
export async function createTestAccess(): Promise<TestAccess> {
  installJwksServer();
  const baseEnv = env as unknown as Env;
  const signer = await createLocalAccessSigner({
    issuer: String(baseEnv.ACCESS_TEAM_DOMAIN),
    audience: String(baseEnv.ACCESS_AUD),
  });
  signerCount += 1;
  const jwksUrl = `http://127.0.0.1:9/signer-${signerCount}-${crypto.randomUUID()}${CERTS_PATH}`;
  served.set(jwksUrl, signer);
  const token = (identity: LocalIdentity, options?: TokenOptions) => signer.token(identity, options);
  return {
    signer,
    jwksUrl,
    env: { ...baseEnv, ACCESS_JWKS_URL: jwksUrl },
    token,
    headers: async (identity, options) => ({ 'Cf-Access-Jwt-Assertion': await token(identity, options) }),
  };
}
