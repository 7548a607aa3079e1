/**
 * A stand-in for Cloudflare Access in development and tests: an RS256 key set published as a
 * JWKS (the shape of `https://<team>.cloudflareaccess.com/cdn-cgi/access/certs`) and tokens with
 * the claims Access puts in `Cf-Access-Jwt-Assertion`, for a person (email) or a service token
 * (common_name). Uses only jose and WebCrypto, so it runs in Node (scripts/dev/access-signer.ts)
 * and inside workerd (the Workers tests).
 *
 * The dashboard-api trusts it only through ACCESS_JWKS_URL on a loopback address, which the Worker
 * refuses in staging and production (workers/shared/access/config.ts).
 */
import { exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK, SignJWT } from 'jose';

/** The issuer and audience the development [vars] in wrangler.toml name (a unit test keeps them equal). */
export const LOCAL_ACCESS_TEAM_DOMAIN = 'https://local-dev.cloudflareaccess.com';
export const LOCAL_ACCESS_AUD = 'local-dev-dashboard-api';
export const LOCAL_ACCESS_PORT = 8788;
export const CERTS_PATH = '/cdn-cgi/access/certs';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export interface SerializedSigningKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

export type LocalIdentity = { email: string } | { commonName: string };

export interface TokenOptions {
  /** Seconds from now; negative for an expired token. Default 1 hour. */
  expiresInSeconds?: number;
  /** Seconds from now before which the token is not valid. Default 0. */
  notBeforeSeconds?: number;
  issuer?: string;
  audience?: string | string[];
  /** Sign with this key id in the header (default: the current key's). */
  kid?: string;
}

export interface LocalAccessSigner {
  readonly issuer: string;
  readonly audience: string;
  /** The published key set: the current key first, then the ones it replaced (as Access does). */
  jwks(): JSONWebKeySet;
  /** The key new tokens are signed with. */
  currentKey(): SigningKey;
  token(identity: LocalIdentity, options?: TokenOptions): Promise<string>;
  /** A new current key; earlier keys stay published so tokens already issued keep verifying. */
  rotate(): Promise<SigningKey>;
  serialize(): Promise<SerializedSigningKey[]>;
}

async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = crypto.randomUUID().replaceAll('-', '');
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { kid, privateKey, publicJwk };
}

async function restoreSigningKey(serialized: SerializedSigningKey): Promise<SigningKey> {
  const privateKey = (await importJWK(serialized.privateJwk, 'RS256', { extractable: true })) as CryptoKey;
  return { kid: serialized.kid, privateKey, publicJwk: serialized.publicJwk };
}

export async function createLocalAccessSigner(
  options: { issuer?: string; audience?: string; keys?: SerializedSigningKey[] } = {},
): Promise<LocalAccessSigner> {
  const issuer = options.issuer ?? LOCAL_ACCESS_TEAM_DOMAIN;
  const audience = options.audience ?? LOCAL_ACCESS_AUD;
  const keys: SigningKey[] = options.keys?.length
    ? await Promise.all(options.keys.map(restoreSigningKey))
    : [await newSigningKey()];

  const current = (): SigningKey => {
    const key = keys[0];
    if (!key) throw new Error('the local Access signer has no key');
    return key;
  };

  return {
    issuer,
    audience,
    jwks: () => ({ keys: keys.map((key) => key.publicJwk) }),
    currentKey: current,
    async token(identity, tokenOptions = {}) {
      const now = Math.floor(Date.now() / 1000);
      const key = current();
      const claims =
        'email' in identity
          ? {
              email: identity.email,
              type: 'app',
              identity_nonce: crypto.randomUUID(),
              sub: crypto.randomUUID(),
              country: 'XX',
            }
          : { common_name: identity.commonName, type: 'app', sub: '' };
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: tokenOptions.kid ?? key.kid, typ: 'JWT' })
        .setIssuer(tokenOptions.issuer ?? issuer)
        .setAudience(tokenOptions.audience ?? [audience])
        .setIssuedAt(now)
        .setNotBefore(now + (tokenOptions.notBeforeSeconds ?? 0))
        .setExpirationTime(now + (tokenOptions.expiresInSeconds ?? 3600))
        .sign(key.privateKey);
    },
    async rotate() {
      const key = await newSigningKey();
      keys.unshift(key);
      // Access publishes the current and the previous key; older ones are withdrawn.
      keys.splice(2);
      return key;
    },
    async serialize() {
      return Promise.all(
        keys.map(async (key) => ({
          kid: key.kid,
          privateJwk: await exportJWK(key.privateKey),
          publicJwk: key.publicJwk,
        })),
      );
    },
  };
}
