/**
 * The local Access signer in Node (development only): its key pair kept in a file so tokens minted
 * by `npm run token` verify against the keys a running `npm start` publishes, and a loopback-only
 * HTTP server publishing the JWKS (the dashboard-api's ACCESS_JWKS_URL in development) and minting
 * tokens at /token?email=… or /token?service_token=<client id>.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import {
  CERTS_PATH,
  createLocalAccessSigner,
  type LocalAccessSigner,
  type LocalIdentity,
  type SerializedSigningKey,
} from './local-access-signer.ts';

/** The signer whose keys are in `keyFile`; a new key pair is made and saved when there is none. */
export async function loadLocalSigner(keyFile: string): Promise<LocalAccessSigner> {
  let keys: SerializedSigningKey[] | undefined;
  try {
    keys = JSON.parse(await readFile(keyFile, 'utf8')) as SerializedSigningKey[];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const signer = await createLocalAccessSigner({ keys });
  if (!keys) await saveLocalSigner(signer, keyFile);
  return signer;
}

export async function saveLocalSigner(signer: LocalAccessSigner, keyFile: string): Promise<void> {
  await mkdir(dirname(keyFile), { recursive: true });
  await writeFile(keyFile, `${JSON.stringify(await signer.serialize(), null, 2)}\n`, { mode: 0o600 });
}

export interface LocalAccessServer {
  /** http://127.0.0.1:port */
  url: string;
  /** What ACCESS_JWKS_URL names. */
  jwksUrl: string;
  close(): Promise<void>;
}

/** Serves the signer on 127.0.0.1 (never another interface); port 0 picks a free one. */
export async function serveLocalSigner(signer: LocalAccessSigner, port: number): Promise<LocalAccessServer> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.method === 'GET' && url.pathname === CERTS_PATH) return reply(200, signer.jwks());
    if (request.method === 'GET' && url.pathname === '/token') {
      const email = url.searchParams.get('email');
      const serviceToken = url.searchParams.get('service_token');
      const identity: LocalIdentity | undefined = email
        ? { email }
        : serviceToken
          ? { commonName: serviceToken }
          : undefined;
      if (!identity) return reply(400, { error: 'pass ?email=… or ?service_token=…' });
      signer
        .token(identity)
        .then((token) => reply(200, { token, header: 'Cf-Access-Jwt-Assertion' }))
        .catch((error: unknown) => reply(500, { error: String(error) }));
      return;
    }
    reply(404, { error: `not found; the JWKS is at ${CERTS_PATH}` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    jwksUrl: `${url}${CERTS_PATH}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
