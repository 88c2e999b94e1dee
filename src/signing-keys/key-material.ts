import {
  createHash,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  randomBytes,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import type { SigningAlgorithm } from '../config/auth.config.js';

/** A new signing key: what the database keeps of it (the private half only sealed). */
export interface KeyMaterial {
  kid: string;
  algorithm: SigningAlgorithm;
  /** The public key as published in the JWKS; null for an HMAC key, which is never published. */
  publicJwk: JsonWebKey | null;
  /** The private (or HMAC) key as a JWK, to be sealed before it is stored. */
  privateJwk: JsonWebKey;
}

/** The members RFC 7638 hashes, per key type, in the lexicographic order it requires. */
const THUMBPRINT_MEMBERS: Record<string, string[]> = { EC: ['crv', 'kty', 'x', 'y'], RSA: ['e', 'kty', 'n'] };

/** RFC 7638 thumbprint (SHA-256, base64url): the same public key always gets the same `kid`. */
export function thumbprint(jwk: JsonWebKey): string {
  const members = THUMBPRINT_MEMBERS[jwk.kty ?? ''];
  if (!members) throw new Error(`no thumbprint for key type ${jwk.kty}`);
  const canonical = JSON.stringify(Object.fromEntries(members.map((name) => [name, jwk[name as keyof JsonWebKey]])));
  return createHash('sha256').update(canonical).digest('base64url');
}

export function generateKey(algorithm: SigningAlgorithm): KeyMaterial {
  if (algorithm === 'HS256') {
    const secret = createSecretKey(randomBytes(32));
    return {
      kid: randomBytes(16).toString('base64url'),
      algorithm,
      publicJwk: null,
      privateJwk: secret.export({ format: 'jwk' }),
    };
  }
  const { privateKey } =
    algorithm === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return fromPrivateKey(privateKey, algorithm);
}

/** An operator's own key, as a PEM private key: P-256 (ES256) or RSA of at least 2048 bits (RS256). */
export function importPemKey(pem: string): KeyMaterial {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new Error('not a PEM private key');
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1') return fromPrivateKey(key, 'ES256');
  if (key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= 2048) return fromPrivateKey(key, 'RS256');
  throw new Error('the key must be an EC P-256 key (ES256) or an RSA key of at least 2048 bits (RS256)');
}

function fromPrivateKey(privateKey: KeyObject, algorithm: 'ES256' | 'RS256'): KeyMaterial {
  const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' });
  return { kid: thumbprint(publicJwk), algorithm, publicJwk, privateJwk: privateKey.export({ format: 'jwk' }) };
}

/** The key that signs, from its stored JWK. */
export function signingKeyObject(privateJwk: JsonWebKey): KeyObject {
  return privateJwk.kty === 'oct'
    ? createSecretKey(Buffer.from(privateJwk.k ?? '', 'base64url'))
    : createPrivateKey({ key: privateJwk, format: 'jwk' });
}

/** The key that verifies: the public key, or the HMAC key itself. */
export function verifyingKeyObject(publicJwk: JsonWebKey | null, privateJwk: JsonWebKey | null): KeyObject | null {
  if (publicJwk) return createPublicKey({ key: publicJwk, format: 'jwk' });
  return privateJwk ? signingKeyObject(privateJwk) : null;
}
