/**
 * The local Access signer for development: `serve` publishes a JWKS on loopback, `token` mints a
 * token from the same key file that verifies against it with the development issuer and audience.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CERTS_PATH, LOCAL_ACCESS_AUD, LOCAL_ACCESS_TEAM_DOMAIN } from '../../scripts/dev/local-access-signer.ts';

const CLI = new URL('../../scripts/dev/access-signer.ts', import.meta.url).pathname;
const run = promisify(execFile);

let dir: string;
let keyFile: string;
let server: ReturnType<typeof spawn>;
let baseUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'access-signer-'));
  keyFile = join(dir, 'keys.json');
  server = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--key-file', keyFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  baseUrl = await new Promise<string>((resolve, reject) => {
    let output = '';
    server.stdout?.on('data', (chunk) => {
      output += chunk;
      const match = /local Access signer on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    server.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    server.once('exit', (code) => reject(new Error(`signer exited (${code}): ${output}`)));
  });
});

afterAll(async () => {
  server?.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
});

describe('scripts/dev/access-signer.ts', () => {
  it('mints tokens that verify against the JWKS it serves, for an email and for a service token', async () => {
    const keys = createRemoteJWKSet(new URL(`${baseUrl}${CERTS_PATH}`));
    const options = { issuer: LOCAL_ACCESS_TEAM_DOMAIN, audience: LOCAL_ACCESS_AUD, algorithms: ['RS256'] };

    const { stdout: emailToken } = await run(process.execPath, [
      CLI,
      'token',
      '--key-file',
      keyFile,
      '--email',
      'owner@example.com',
    ]);
    const person = await jwtVerify(emailToken.trim(), keys, options);
    expect(person.payload).toMatchObject({ email: 'owner@example.com', type: 'app' });

    const { stdout: serviceToken } = await run(process.execPath, [
      CLI,
      'token',
      '--key-file',
      keyFile,
      '--service-token',
      'local-ci.access',
    ]);
    const service = await jwtVerify(serviceToken.trim(), keys, options);
    expect(service.payload).toMatchObject({ common_name: 'local-ci.access', sub: '' });
    expect(service.payload.email).toBeUndefined();

    const viaHttp = (await (await fetch(`${baseUrl}/token?email=staff@example.com`)).json()) as { token: string };
    expect((await jwtVerify(viaHttp.token, keys, options)).payload.email).toBe('staff@example.com');
  });

  it('keeps the private key readable by its owner only', async () => {
    expect((await stat(keyFile)).mode & 0o077).toBe(0);
  });
});
