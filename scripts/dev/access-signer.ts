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
 * `npm run token -- --email …` is `token`. The key pair is kept in .data/access-signer/keys.json
 * (git-ignored; under DASHBOARD_DATA_DIR when set), the file `npm start` publishes too, so `token`,
 * `serve` and a running `npm start` agree, and tokens survive restarts.
 */
import { parseArgs } from 'node:util';
import { ACCESS_SIGNER_KEY_FILE } from './data-dir.ts';
import { loadLocalSigner, saveLocalSigner, serveLocalSigner } from './local-access-server.ts';
import { LOCAL_ACCESS_PORT, type LocalIdentity } from './local-access-signer.ts';

const usage = `usage:
  node scripts/dev/access-signer.ts serve [--port ${LOCAL_ACCESS_PORT}]
  node scripts/dev/access-signer.ts token (--email <email> | --service-token <client id>) [--expires-in <seconds>]
  node scripts/dev/access-signer.ts rotate
options: --key-file <path>   where the key pair is kept (default $DASHBOARD_DATA_DIR or .data, then access-signer/keys.json)`;

function identityFrom(email: string | undefined, serviceToken: string | undefined): LocalIdentity {
  if (email) return { email };
  if (serviceToken) return { commonName: serviceToken };
  throw new Error(`name an identity: --email <email> or --service-token <client id>\n${usage}`);
}

async function serve(port: number, keyFile: string): Promise<void> {
  const signer = await loadLocalSigner(keyFile);
  // Loopback only: this signer must never be reachable from another machine.
  const server = await serveLocalSigner(signer, port);
  console.log(`local Access signer on ${server.url}
  JWKS   ${server.jwksUrl}   (ACCESS_JWKS_URL)
  token  ${server.url}/token?email=owner@example.com
issuer ${signer.issuer}, audience ${signer.audience}, current key ${signer.currentKey().kid}`);
  const stop = () => void server.close().then(() => process.exit(0));
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
      'key-file': { type: 'string', default: ACCESS_SIGNER_KEY_FILE },
    },
  });
  const keyFile = values['key-file'];
  switch (command) {
    case 'serve':
      return serve(Number(values.port), keyFile);
    case 'token': {
      const signer = await loadLocalSigner(keyFile);
      const expiresIn = values['expires-in'] ? Number(values['expires-in']) : 12 * 3600;
      console.log(
        await signer.token(identityFrom(values.email, values['service-token']), { expiresInSeconds: expiresIn }),
      );
      return;
    }
    case 'rotate': {
      const signer = await loadLocalSigner(keyFile);
      const key = await signer.rotate();
      await saveLocalSigner(signer, keyFile);
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
