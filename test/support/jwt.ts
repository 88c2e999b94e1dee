import { createHmac, sign, type KeyObject } from 'node:crypto';
import { SigningKeysService } from '../../src/signing-keys/signing-keys.service.js';
import type { TestApp } from './test-app.js';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>,
  };
}

/** The key the app signs with now: what an attacker who stole it, or a test that needs a genuine token, signs with. */
export function appSigningKey(test: TestApp): { kid: string; alg: string; key: KeyObject } {
  const { kid, algorithm, key } = test.app.get(SigningKeysService).signer();
  return { kid, alg: algorithm, key };
}

/**
 * Signs any header and payload: with HMAC-SHA256/512 when the header says HS256/HS512 (`key` is then
 * the HMAC secret, whatever it is: a string, or a public key's bytes), else with the private key
 * (ES256, RS256). The attacker's forge, and the honest signer's when `key` is the app's.
 */
export function forgeJwt(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: KeyObject | string | Buffer,
): string {
  const unsigned = `${encode(header)}.${encode(payload)}`;
  const alg = String(header.alg);
  if (alg.startsWith('HS')) {
    const secret = typeof key === 'object' && 'type' in key && !Buffer.isBuffer(key) ? key.export() : key;
    return `${unsigned}.${createHmac(`sha${alg.slice(2)}`, secret)
      .update(unsigned)
      .digest('base64url')}`;
  }
  const signature = sign('sha256', Buffer.from(unsigned), { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
  return `${unsigned}.${signature.toString('base64url')}`;
}
