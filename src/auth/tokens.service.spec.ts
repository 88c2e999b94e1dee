import { JwtService } from '@nestjs/jwt';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AuthConfig } from '../config/auth.config.js';
import type { SigningKeysService } from '../signing-keys/signing-keys.service.js';
import { Role } from '../common/request/role.enum.js';
import { User } from '../users/entities/user.entity.js';
import { TokensService, type SessionGrant } from './tokens.service.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const keys = { signer: () => ({ kid: 'k1', algorithm: 'ES256', key: privateKey }) } as unknown as SigningKeysService;

function makeService(secret = 'a-test-secret-that-is-long-enough-123'): TokensService {
  const config = { jwt: { masterSecret: Buffer.from(secret), accessTtl: 900 } } as AuthConfig;
  return new TokensService(new JwtService({ signOptions: { expiresIn: 900 } }), keys, config);
}

describe(TokensService.name, () => {
  const tokens = makeService();

  it('should mint refresh tokens naming their session, with 256 random bits, and read them back', () => {
    const sessionId = randomUUID();

    const first = tokens.newRefreshToken(sessionId);
    const second = tokens.newRefreshToken(sessionId);

    expect(first.token).toMatch(new RegExp(`^${sessionId}\\.[A-Za-z0-9_-]{43}$`));
    expect(first.token).not.toBe(second.token);
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(tokens.readRefreshToken(first.token)).toEqual({ sessionId, hash: first.hash });
  });

  it.each(['', 'abc', `${randomUUID()}.short`, `${randomUUID()}.${'a'.repeat(43)}x`, `not-a-uuid.${'a'.repeat(43)}`])(
    'should not read %j as a refresh token',
    (token) => {
      expect(tokens.readRefreshToken(token)).toBeNull();
    },
  );

  it('should sign access tokens with the current key, naming it, with sub, sid, roles, amr, iat and a jti unique to the rotation', () => {
    const jwt = new JwtService({});
    const issuedAt = new Date('2026-11-22T10:00:00Z');
    const user = Object.assign(new User(), { id: 'u1', roles: [Role.User], emailVerifiedAt: null, disabledAt: null });
    const claims: SessionGrant = { sessionId: 's1', refreshToken: 'r', generation: 3, issuedAt, amr: ['pwd', 'otp'] };
    const sign = (grant: SessionGrant) => tokens.issue(user, grant).accessToken;

    const token = sign(claims);
    const payload = jwt.decode<Record<string, unknown>>(token);

    expect(payload).toMatchObject({
      sub: 'u1',
      sid: 's1',
      roles: ['user'],
      amr: ['pwd', 'otp'],
      iat: issuedAt.getTime() / 1000,
      exp: issuedAt.getTime() / 1000 + 900,
    });
    expect(payload.jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(jwt.decode<{ header: unknown }>(token, { complete: true }).header).toEqual({ alg: 'ES256', typ: 'JWT', kid: 'k1' });
    expect(
      jwt.verify(token, {
        publicKey: publicKey.export({ format: 'pem', type: 'spki' }) as string,
        algorithms: ['ES256'],
        clockTimestamp: payload.iat as number,
      }),
    ).toEqual(payload);
    expect(jwt.decode(sign(claims))).toEqual(payload);
    expect(jwt.decode<{ jti: string }>(sign({ ...claims, generation: 4 })).jti).not.toBe(payload.jti);
    expect(jwt.decode<{ jti: string }>(sign({ ...claims, sessionId: 's2' })).jti).not.toBe(payload.jti);
  });

  it('should seal a value so only a service with the same secret can open it', () => {
    const sealed = tokens.seal({ refreshToken: 'r', accessToken: 'a' });

    expect(sealed).not.toContain('refreshToken');
    expect(tokens.unseal(sealed)).toEqual({ refreshToken: 'r', accessToken: 'a' });
    expect(makeService('another-secret-that-is-long-enough-456').unseal(sealed)).toBeNull();
  });

  it('should refuse a sealed value that was changed', () => {
    const sealed = Buffer.from(tokens.seal({ a: 1 }), 'base64url');
    sealed[sealed.length - 1] ^= 1;

    expect(tokens.unseal(sealed.toString('base64url'))).toBeNull();
    expect(tokens.unseal('garbage')).toBeNull();
  });

  it('should compare hashes only when both exist and match', () => {
    const { hash } = tokens.newRefreshToken(randomUUID());

    expect(tokens.sameHash(hash, hash)).toBe(true);
    expect(tokens.sameHash(null, hash)).toBe(false);
    expect(tokens.sameHash(hash.replace(/.$/, '0') === hash ? hash.replace(/.$/, '1') : hash.replace(/.$/, '0'), hash)).toBe(
      false,
    );
  });
});
