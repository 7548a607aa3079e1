/**
 * The local Cloudflare Access signer for development (never used by a deployed Worker):
 *
 *   node scripts/dev/access-signer.ts serve [--port 8788]
 *       publishes the JWKS at http://127.0.0.1:8788/cdn-cgi/access/certs (the ACCESS_JWKS_URL of
 *       wrangler.toml's development [vars]) and mints tokens at /token?email=… or
 *       /token?service_token=<client id> (loopback only).
 *   node scripts/dev/access-signer.ts token --email owner@example.com
 *   node scripts/dev/access-signer.ts token --service-token local-ci.access
 *       prints a token to send as the Cf-Access-Jwt-Assertion header.
 *   node scripts/dev/access-signer.ts rotate
 *       makes a new signing key (the previous one stays published).
 *
 * The key pair is kept in .data/access-signer/keys.json (git-ignored), so `token` and a running
 * `serve` agree, and tokens survive restarts.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../lib/migrations.ts';
import {
  CERTS_PATH,
  createLocalAccessSigner,
  LOCAL_ACCESS_PORT,
  type LocalAccessSigner,
  type LocalIdentity,
  type SerializedSigningKey,
} from './local-access-signer.ts';

const DEFAULT_KEY_FILE = join(PROJECT_ROOT, '.data/access-signer/keys.json');

const usage = `usage:
  node scripts/dev/access-signer.ts serve [--port ${LOCAL_ACCESS_PORT}]
  node scripts/dev/access-signer.ts token (--email <email> | --service-token <client id>) [--expires-in <seconds>]
  node scripts/dev/access-signer.ts rotate
options: --key-file <path>   where the key pair is kept (default .data/access-signer/keys.json)`;

async function loadSigner(keyFile: string): Promise<LocalAccessSigner> {
  let keys: SerializedSigningKey[] | undefined;
  try {
    keys = JSON.parse(await readFile(keyFile, 'utf8')) as SerializedSigningKey[];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const signer = await createLocalAccessSigner({ keys });
  if (!keys) await saveSigner(signer, keyFile);
  return signer;
}

async function saveSigner(signer: LocalAccessSigner, keyFile: string): Promise<void> {
  await mkdir(dirname(keyFile), { recursive: true });
  await writeFile(keyFile, `${JSON.stringify(await signer.serialize(), null, 2)}\n`, { mode: 0o600 });
}

function identityFrom(email: string | undefined, serviceToken: string | undefined): LocalIdentity {
  if (email) return { email };
  if (serviceToken) return { commonName: serviceToken };
  throw new Error(`name an identity: --email <email> or --service-token <client id>\n${usage}`);
}

async function serve(port: number, keyFile: string): Promise<void> {
  const signer = await loadSigner(keyFile);
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', `http://127.0.0.1:${port}`);
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.method === 'GET' && url.pathname === CERTS_PATH) return reply(200, signer.jwks());
    if (request.method === 'GET' && url.pathname === '/token') {
      const email = url.searchParams.get('email') ?? undefined;
      const serviceToken = url.searchParams.get('service_token') ?? undefined;
      if (!email && !serviceToken) return reply(400, { error: 'pass ?email=… or ?service_token=…' });
      signer
        .token(identityFrom(email, serviceToken))
        .then((token) => reply(200, { token, header: 'Cf-Access-Jwt-Assertion' }))
        .catch((error: unknown) => reply(500, { error: String(error) }));
      return;
    }
    reply(404, { error: `not found; the JWKS is at ${CERTS_PATH}` });
  });
  // Loopback only: this signer must never be reachable from another machine.
  server.listen(port, '127.0.0.1', () => {
    const address = server.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    console.log(`local Access signer on http://127.0.0.1:${bound}
  JWKS   http://127.0.0.1:${bound}${CERTS_PATH}   (ACCESS_JWKS_URL)
  token  http://127.0.0.1:${bound}/token?email=owner@example.com
issuer ${signer.issuer}, audience ${signer.audience}, current key ${signer.currentKey().kid}`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      port: { type: 'string', default: String(LOCAL_ACCESS_PORT) },
      email: { type: 'string' },
      'service-token': { type: 'string' },
      'expires-in': { type: 'string' },
      'key-file': { type: 'string', default: DEFAULT_KEY_FILE },
    },
  });
  const keyFile = values['key-file'];
  switch (command) {
    case 'serve':
      return serve(Number(values.port), keyFile);
    case 'token': {
      const signer = await loadSigner(keyFile);
      const expiresIn = values['expires-in'] ? Number(values['expires-in']) : 12 * 3600;
      console.log(
        await signer.token(identityFrom(values.email, values['service-token']), { expiresInSeconds: expiresIn }),
      );
      return;
    }
    case 'rotate': {
      const signer = await loadSigner(keyFile);
      const key = await signer.rotate();
      await saveSigner(signer, keyFile);
      console.log(`new signing key ${key.kid}; restart \`serve\` to publish it`);
      return;
    }
    default:
      throw new Error(usage);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
