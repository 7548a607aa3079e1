/**
 * Cloudflare Access at the dashboard-api: every way a token can be wrong is a 401, an unknown
 * identity is a 403, service tokens get their configured role, a rotated key is fetched, and a
 * deployed environment refuses the local signer.
 */
import { base64url, SignJWT } from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLocalAccessSigner } from '#scripts/dev/local-access-signer.ts';
import type { Sql } from '#shared/db/types.ts';
import { expectRefusedWithoutChange } from '../../support/reliability.ts';
import { createTestAccess, installJwksServer, jwksFetches, UNAVAILABLE_JWKS_URL } from './support/access.ts';
import { type Api, openApiWithStaff, SERVICE_TOKEN, STAFF_EMAILS } from './support/api.ts';

let api: Api;
let sql: Sql;

beforeAll(async () => {
  ({ api, sql } = await openApiWithStaff());
  return () => sql.end({ timeout: 5 });
});

afterEach(() => {
  vi.useRealTimers();
});

function withToken(token: string) {
  return api.get('/api/me', { as: null, headers: { 'Cf-Access-Jwt-Assertion': token } });
}

/**
 * The token is refused on a read and on a write (a master's tag creation), and the write changed
 * nothing (counted as one bad input by the reliability report).
 */
async function expectUnauthenticated(token: string, message?: RegExp) {
  await expectRefusedWithoutChange(
    sql,
    async () => {
      const responses = [
        await withToken(token),
        await api.request('POST', '/api/tags', {
          as: null,
          headers: { 'Cf-Access-Jwt-Assertion': token },
          body: { name: `written with a bad token ${crypto.randomUUID()}` },
        }),
      ];
      for (const response of responses) {
        expect(response.status).toBe(401);
        expect(response.body.error.code).toBe('unauthenticated');
        if (message) expect(response.body.error.message).toMatch(message);
      }
      return responses;
    },
    `GET /api/me and POST /api/tags with Cf-Access-Jwt-Assertion: ${token}`,
    { input: `a bad Access token${message ? ` (${message.source})` : ''}` },
  );
}

function encodeSegment(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}

describe('a valid Access token', () => {
  it('identifies the person by email, case-insensitively, with their role', async () => {
    const response = await withToken(await api.access.token({ email: 'Staff@Example.com' }));
    expect(response.status).toBe(200);
    const [person] = await sql<{ person_id: string }[]>`select person_id from person where email = 'staff@example.com'`;
    expect(response.body).toEqual({
      id: person?.person_id,
      email: STAFF_EMAILS.staff,
      full_name: 'The staff',
      role: 'staff',
    });
  });
});

describe('tokens that are not valid are 401 unauthenticated', { tags: ['bad-input'] }, () => {
  it('no Cf-Access-Jwt-Assertion header', async () => {
    await expectRefusedWithoutChange(
      sql,
      async () => {
        const responses = [
          await api.get('/api/me', { as: null }),
          await api.request('POST', '/api/tags', { as: null, body: { name: 'written without a token' } }),
        ];
        for (const response of responses) {
          expect(response.status).toBe(401);
          expect(response.body).toEqual({
            error: {
              code: 'unauthenticated',
              message: 'the Cf-Access-Jwt-Assertion header is missing: sign in through Cloudflare Access',
            },
          });
        }
        return responses;
      },
      'GET /api/me and POST /api/tags without Cf-Access-Jwt-Assertion',
    );
  });

  it('alg none (an unsigned token)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      email: STAFF_EMAILS.master,
      iss: api.access.signer.issuer,
      aud: [api.access.signer.audience],
      iat: now,
      exp: now + 3600,
    };
    await expectUnauthenticated(`${encodeSegment({ alg: 'none', typ: 'JWT' })}.${encodeSegment(payload)}.`);
    await expectUnauthenticated(
      `${encodeSegment({ alg: 'none', typ: 'JWT', kid: api.access.signer.currentKey().kid })}.${encodeSegment(payload)}.`,
    );
  });

  it('HS256 signed with the public key as the HMAC secret (algorithm confusion)', async () => {
    const key = api.access.signer.currentKey();
    for (const secret of [JSON.stringify(key.publicJwk), String(key.publicJwk.n)]) {
      const token = await new SignJWT({ email: STAFF_EMAILS.master })
        .setProtectedHeader({ alg: 'HS256', kid: key.kid })
        .setIssuer(api.access.signer.issuer)
        .setAudience(api.access.signer.audience)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(secret));
      await expectUnauthenticated(token, /algorithm/);
    }
  });

  it('a kid the team JWKS does not have, and a foreign key claiming a known kid', async () => {
    const stranger = await createLocalAccessSigner({
      issuer: api.access.signer.issuer,
      audience: api.access.signer.audience,
    });
    await expectUnauthenticated(
      await stranger.token({ email: STAFF_EMAILS.master }),
      /not signed by a key of the team/,
    );
    await expectUnauthenticated(
      await stranger.token({ email: STAFF_EMAILS.master }, { kid: api.access.signer.currentKey().kid }),
      /signature/,
    );
  });

  it('expired', async () => {
    await expectUnauthenticated(
      await api.access.token({ email: STAFF_EMAILS.master }, { expiresInSeconds: -60 }),
      /expired/,
    );
  });

  it('without an exp claim (it would never expire), though correctly signed', async () => {
    const key = api.access.signer.currentKey();
    const token = await new SignJWT({ email: STAFF_EMAILS.master })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .setIssuer(api.access.signer.issuer)
      .setAudience(api.access.signer.audience)
      .setIssuedAt()
      .sign(key.privateKey);
    await expectUnauthenticated(token, /carries no exp claim/);
  });

  it('not yet valid', async () => {
    await expectUnauthenticated(
      await api.access.token({ email: STAFF_EMAILS.master }, { notBeforeSeconds: 3600 }),
      /not valid yet/,
    );
  });

  it('another application (wrong aud) or another team (wrong iss)', async () => {
    await expectUnauthenticated(
      await api.access.token({ email: STAFF_EMAILS.master }, { audience: 'another-application-aud' }),
      /aud/,
    );
    await expectUnauthenticated(
      await api.access.token({ email: STAFF_EMAILS.master }, { issuer: 'https://another-team.cloudflareaccess.com' }),
      /iss/,
    );
  });

  it('a tampered payload (a viewer token rewritten to a master)', async () => {
    const [header, payload, signature] = (await api.access.token({ email: STAFF_EMAILS.viewer })).split('.');
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload as string)));
    const forged = `${header}.${encodeSegment({ ...claims, email: STAFF_EMAILS.master })}.${signature}`;
    await expectUnauthenticated(forged, /signature/);
  });

  it('garbage', async () => {
    for (const token of ['x', 'a.b.c', 'Bearer abc', '...']) await expectUnauthenticated(token);
  });
});

describe('unknown routes under /api', () => {
  it('are 401 without a token (nothing about the API is revealed) and 404 with one', async () => {
    expect((await api.get('/api/nope', { as: null })).status).toBe(401);
    const response = await api.get('/api/nope');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: { code: 'not_found', message: 'no route for GET /api/nope' } });
  });
});

describe('identities', () => {
  it('an email that is not a staff member is 403 forbidden', async () => {
    const response = await withToken(await api.access.token({ email: 'stranger@example.com' }));
    expect(response.status).toBe(403);
    expect(response.body).toEqual({
      error: { code: 'forbidden', message: 'stranger@example.com is not a staff member of this dashboard' },
    });
  });

  it('a service token gets the role ACCESS_SERVICE_TOKEN_ROLES maps its client id to', async () => {
    const me = await withToken(await api.access.token({ commonName: SERVICE_TOKEN }));
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ id: null, email: null, full_name: `service token ${SERVICE_TOKEN}`, role: 'staff' });

    // staff may create tags but not read the staff list (admin)
    const created = await api.request('POST', '/api/tags', { as: { commonName: SERVICE_TOKEN }, body: { name: 'ci' } });
    expect(created.status).toBe(201);
    const staff = await api.get('/api/staff', { as: { commonName: SERVICE_TOKEN } });
    expect(staff.status).toBe(403);

    const admin = await api.get('/api/staff', {
      as: { commonName: 'ops.access' },
      env: { ACCESS_SERVICE_TOKEN_ROLES: '{"ops.access":"admin"}' },
    });
    expect(admin.status).toBe(200);
  });

  it('a service token without a configured role is 403', async () => {
    const response = await withToken(await api.access.token({ commonName: 'unknown-client.access' }));
    expect(response.status).toBe(403);
    expect(response.body.error.message).toBe('service token unknown-client.access is not granted a role');
  });
});

describe('the team JWKS', () => {
  it('is fetched once and cached, and a rotated key (new kid) is fetched when a token names it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const access = await createTestAccess();
    const as = { as: null } as const;
    const call = async (token: string) =>
      api.get('/api/me', { ...as, env: access.env, headers: { 'Cf-Access-Jwt-Assertion': token } });

    const before = await access.token({ email: STAFF_EMAILS.viewer });
    expect((await call(before)).status).toBe(200);
    expect((await call(await access.token({ email: STAFF_EMAILS.staff }))).status).toBe(200);
    expect(jwksFetches.get(access.jwksUrl)).toBe(1);

    // Access rotates its signing key; the previous one stays published for a while.
    await access.signer.rotate();
    vi.setSystemTime(Date.now() + 31_000);
    const after = await access.token({ email: STAFF_EMAILS.viewer });
    expect(JSON.parse(new TextDecoder().decode(base64url.decode(after.split('.')[0] as string))).kid).toBe(
      access.signer.currentKey().kid,
    );
    expect((await call(after)).status).toBe(200);
    expect(jwksFetches.get(access.jwksUrl)).toBe(2);
    // Tokens signed before the rotation still verify against the previous key.
    expect((await call(before)).status).toBe(200);
    expect(jwksFetches.get(access.jwksUrl)).toBe(2);
  });

  it('that cannot be fetched is a 503, not a 401 blaming the caller', async () => {
    installJwksServer();
    const response = await api.get('/api/me', { env: { ACCESS_JWKS_URL: UNAVAILABLE_JWKS_URL } });
    expect(response.status).toBe(503);
    expect(response.body.error).toEqual({
      code: 'unavailable',
      message: `the Access signing keys cannot be fetched from ${UNAVAILABLE_JWKS_URL}`,
    });
  });
});

describe('the configuration check', () => {
  it.each(['production', 'staging'])(
    'refuses to serve anything in %s while the local signer is configured',
    async (environment) => {
      for (const path of ['/api/me', '/health', '/openapi.json']) {
        const response = await api.get(path, { env: { ENVIRONMENT: environment } });
        expect(response.status).toBe(503);
        expect(response.body.error.code).toBe('unavailable');
        expect(response.body.error.message).toContain(
          `variable ACCESS_JWKS_URL: the local Access signer is for development and tests only and is refused when ENVIRONMENT is ${environment}`,
        );
      }
    },
  );

  it('refuses a local signer that is not on a loopback address, and placeholders', async () => {
    const remote = await api.get('/api/me', { env: { ACCESS_JWKS_URL: 'https://keys.example.com/certs' } });
    expect(remote.status).toBe(503);
    expect(remote.body.error.message).toContain('loopback');
    const placeholder = await api.get('/api/me', {
      env: { ENVIRONMENT: 'production', ACCESS_JWKS_URL: '', ACCESS_AUD: 'REPLACE_WITH_PRODUCTION_ACCESS_AUD' },
    });
    expect(placeholder.status).toBe(503);
    expect(placeholder.body.error.message).toContain('variable ACCESS_AUD: is still a placeholder');
  });
});
