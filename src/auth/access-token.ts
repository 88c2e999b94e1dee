import { SIGNING_ALGORITHMS, type AuthConfig } from '../config/auth.config.js';
import { CLOCK_TOLERANCE_SECONDS } from '../signing-keys/signing-keys.service.js';

/** Header fields that would point the verifier at a key of the sender's choosing: a token carrying one is refused. */
const KEY_POINTERS = ['jku', 'x5u', 'jwk', 'x5c', 'x5t', 'x5t#S256', 'crit'];

/** The header of a token this service may have signed: a `kid` and an `alg`, no key pointer, no other type. */
export interface AccessHeader {
  kid: string;
  alg: string;
}

export function accessHeader(token: string): AccessHeader | null {
  try {
    const fields = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    if (fields.typ !== undefined && fields.typ !== 'JWT') return null;
    if (KEY_POINTERS.some((field) => field in fields)) return null;
    return typeof fields.kid === 'string' && typeof fields.alg === 'string' ? { kid: fields.kid, alg: fields.alg } : null;
  } catch {
    return null;
  }
}

/**
 * What jsonwebtoken checks of every access token, for the JWT strategy and for introspection alike:
 * an algorithm of ours (the key named by `kid` must also be of that very algorithm), `iss` and `aud`
 * when configured, and `exp`, `nbf` and `iat` with the clock tolerance.
 */
export function accessTokenVerifyOptions(jwt: AuthConfig['jwt']) {
  return {
    algorithms: [...SIGNING_ALGORITHMS],
    issuer: jwt.issuer,
    audience: jwt.audience,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
  };
}

/** The claims every access token of ours carries. */
export interface AccessClaims {
  sub: string;
  sid: string;
  jti: string;
  exp: number;
  iat: number;
}

/** The claims of a verified payload; null when one is missing or of the wrong type, or `iat` is in the future. */
export function accessClaims(payload: Record<string, unknown>): AccessClaims | null {
  const { sub, sid, jti, exp, iat } = payload;
  if (
    typeof sub !== 'string' ||
    typeof sid !== 'string' ||
    typeof jti !== 'string' ||
    typeof exp !== 'number' ||
    typeof iat !== 'number'
  ) {
    return null;
  }
  if (iat > Date.now() / 1000 + CLOCK_TOLERANCE_SECONDS) return null;
  return { sub, sid, jti, exp, iat };
}
