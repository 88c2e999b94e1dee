import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateKey, importPemKey, signingKeyObject, thumbprint, verifyingKeyObject } from './key-material.js';

describe('key material', () => {
  it.each(['ES256', 'RS256'] as const)(
    'should make a %s key whose public half verifies what the private half signs',
    (algorithm) => {
      const material = generateKey(algorithm);
      const data = Buffer.from('payload');
      const signature = sign('sha256', data, signingKeyObject(material.privateJwk));

      expect(material.algorithm).toBe(algorithm);
      expect(material.publicJwk).not.toHaveProperty('d');
      expect(material.kid).toBe(thumbprint(material.publicJwk!));
      expect(verify('sha256', data, verifyingKeyObject(material.publicJwk, null)!, signature)).toBe(true);
    },
  );

  it('should make an HMAC key that is never published', () => {
    const material = generateKey('HS256');

    expect(material.publicJwk).toBeNull();
    expect(material.kid).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(verifyingKeyObject(null, material.privateJwk)?.type).toBe('secret');
  });

  it('should compute the RFC 7638 thumbprint of its example key', () => {
    const jwk = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
    };

    expect(thumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('should import a P-256 or RSA PEM key with the algorithm it implies, and refuse others', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      format: 'pem',
      type: 'pkcs8',
    }) as string;
    const ed = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;

    const imported = importPemKey(ec);
    expect(imported.algorithm).toBe('ES256');
    expect(imported.kid).toBe(thumbprint(createPublicKey(ec).export({ format: 'jwk' })));
    expect(() => importPemKey(small)).toThrow(/at least 2048 bits/);
    expect(() => importPemKey(ed)).toThrow(/EC P-256/);
    expect(() => importPemKey('not a key')).toThrow(/not a PEM private key/);
  });
});
