/**
 * How the operator CLIs (npm run replay, npm run redrive) reach the ingest Worker's
 * Access-protected admin routes. Credentials, first found: CF_ACCESS_CLIENT_ID +
 * CF_ACCESS_CLIENT_SECRET (an Access service token with the admin role), ACCESS_TOKEN (a
 * Cf-Access-Jwt-Assertion), or, for a loopback URL only, a token from the local development signer
 * for the service token `local-ops.access` (admin in the development [vars] of
 * workers/ingest/wrangler.toml).
 */
import { ACCESS_SIGNER_KEY_FILE } from '../dev/data-dir.ts';
import { loadLocalSigner } from '../dev/local-access-server.ts';

const LOCAL_OPERATOR = 'local-ops.access';

/** Bad usage: the CLI prints it with its usage line and exits 2. */
export class UsageError extends Error {}

/** The ingest Worker's URL: --url, else $INGEST_URL, else `npm start`'s. */
export function ingestBaseUrl(flag: string | undefined): URL {
  return new URL(flag ?? process.env.INGEST_URL ?? 'http://127.0.0.1:8787/ingest');
}

export async function operatorCredentials(url: URL): Promise<Record<string, string>> {
  const { CF_ACCESS_CLIENT_ID: id, CF_ACCESS_CLIENT_SECRET: secret, ACCESS_TOKEN: token } = process.env;
  if (id && secret) return { 'CF-Access-Client-Id': id, 'CF-Access-Client-Secret': secret };
  if (token) return { 'Cf-Access-Jwt-Assertion': token };
  if (['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    const signer = await loadLocalSigner(ACCESS_SIGNER_KEY_FILE);
    return { 'Cf-Access-Jwt-Assertion': await signer.token({ commonName: LOCAL_OPERATOR }) };
  }
  throw new UsageError('no credentials: set CF_ACCESS_CLIENT_ID and CF_ACCESS_CLIENT_SECRET, or ACCESS_TOKEN');
}

/** One JSON call; the body parsed when it is JSON. */
export async function callIngest(url: string, init: RequestInit & { headers: Record<string, string> }) {
  const response = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...init.headers } });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.status, body: body as Record<string, unknown> };
}

/** Runs a CLI's main: its exit code, or 2 with the usage for a UsageError, 1 for anything else. */
export function runCli(main: (argv: string[]) => Promise<number>, usage: string): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(
        error instanceof UsageError ? `${error.message}\n${usage}` : error instanceof Error ? error.message : error,
      );
      process.exit(error instanceof UsageError ? 2 : 1);
    },
  );
}
