/**
 * Verifies a Cloudflare Access token (`Cf-Access-Jwt-Assertion`): RS256 only, signed by a key of
 * the team's JWKS, with the configured issuer and audience, carrying an expiry, inside its validity window.
 *
 * The key set is fetched once per isolate and cached by jose (createRemoteJWKSet): a token whose
 * `kid` is not in the cached set makes it fetch the set again (at most once per cooldown), which is
 * how Access's key rotation is picked up without a deploy.
 */
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import { z } from 'zod';
import { DomainError } from '../errors.ts';
import type { AccessConfig } from './config.ts';

/** The claims the dashboard uses; Access also sends type, identity_nonce, country, … */
export interface AccessClaims extends JWTPayload {
  /** Set for people signed in through the identity provider. */
  email?: string;
  /** Set for service tokens: the token's client id. */
  common_name?: string;
}

const claimsSchema = z.looseObject({
  email: z.string().optional(),
  common_name: z.string().optional(),
});

const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function keySetFor(certsUrl: string): ReturnType<typeof createRemoteJWKSet> {
  let keySet = keySets.get(certsUrl);
  if (!keySet) {
    keySet = createRemoteJWKSet(new URL(certsUrl));
    keySets.set(certsUrl, keySet);
  }
  return keySet;
}

/** Why a token was rejected, for the 401 message; never the token itself. */
function rejection(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the Access token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'the Access token is not valid yet';
    if (error.reason === 'missing') return `the Access token carries no ${error.claim} claim`;
    return `the Access token's ${error.claim} claim is not accepted`;
  }
  if (error instanceof errors.JWKSNoMatchingKey) return 'the Access token was not signed by a key of the team';
  if (error instanceof errors.JWKSMultipleMatchingKeys) return 'the Access token does not name its signing key';
  if (error instanceof errors.JOSEAlgNotAllowed) return "the Access token's algorithm is not accepted";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "the Access token's signature is invalid";
  return 'the Access token is malformed';
}

/**
 * True for failures to reach or read the key set: our problem (503), not the caller's (401).
 * Everything wrong with the token itself is a specific JOSEError; a failed fetch (DNS, refused or
 * lost connection) is not a JOSEError at all.
 */
function isKeySetUnavailable(error: unknown): boolean {
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return true;
  if (error instanceof errors.JOSEError) return error.code === 'ERR_JOSE_GENERIC';
  return true;
}

export async function verifyAccessToken(token: string, config: AccessConfig): Promise<AccessClaims> {
  try {
    const { payload } = await jwtVerify(token, keySetFor(config.certsUrl), {
      issuer: config.issuer,
      audience: config.audience,
      algorithms: ['RS256'],
      // Access always sets exp; a token without one would never expire.
      requiredClaims: ['exp'],
      clockTolerance: 5,
    });
    return claimsSchema.parse(payload) as AccessClaims;
  } catch (error) {
    if (error instanceof z.ZodError)
      throw new DomainError('unauthenticated', 'the Access token carries malformed identity claims');
    if (isKeySetUnavailable(error)) {
      throw new DomainError('unavailable', `the Access signing keys cannot be fetched from ${config.certsUrl}`);
    }
    throw new DomainError('unauthenticated', rejection(error));
  }
}
