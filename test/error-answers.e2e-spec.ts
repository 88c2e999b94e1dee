import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectErrorShape, login, PASSWORD, registerUser, uniqueEmail, type TokenBody } from './support/factories.js';
import { generateKeyPairSync } from 'node:crypto';
import { appSigningKey, decodeJwt, forgeJwt } from './support/jwt.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { ERROR_CODES } from '../src/common/errors/error-codes.js';

type Response = {
  description: string;
  content?: Record<string, { schema?: { $ref?: string }; examples?: Record<string, { value: { code: string } }> }>;
};
type OpenApi = {
  paths: Record<string, Record<string, { security?: Array<Record<string, string[]>>; responses: Record<string, Response> }>>;
  components: { schemas: Record<string, { properties: Record<string, { enum?: string[] }> }> };
};

/** What a client can branch on: the status, a stable code, and for 401s the RFC 6750 challenge. */
describe('error answers a client can tell apart (e2e)', () => {
  let test: TestApp;
  let admin: TokenBody;
  let user: TokenBody & { email: string };
  const me = (authorization?: string) => {
    const call = test.http.get('/api/v1/auth/me');
    return authorization === undefined ? call : call.set('Authorization', authorization);
  };

  beforeAll(async () => {
    const adminEmail = uniqueEmail('admin');
    test = await startTestApp({ env: { ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: 'an admin password nobody guesses' } });
    admin = await login(test, adminEmail, 'an admin password nobody guesses');
    user = await registerUser(test);
  });

  afterAll(async () => {
    await test?.close();
  });

  describe('bearer tokens', () => {
    it('should answer token_missing with a Bearer challenge when no token is sent', async () => {
      const response = await me();

      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({
        code: 'token_missing',
        message: 'Send the access token as Authorization: Bearer <token>',
      });
      expect(response.headers['www-authenticate']).toBe('Bearer realm="api"');
    });

    it('should tell a client that sent a bare token to put the scheme before it', async () => {
      const response = await me(user.accessToken);

      expect(response.status).toBe(401);
      expect(response.body.code).toBe('token_invalid');
      expect(response.body.message).toContain('Bearer <token>');
      expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_token"/);
    });

    it('should take the scheme name in any case', async () => {
      expect((await me(`bearer ${user.accessToken}`)).status).toBe(200);
      expect((await me(`BEARER ${user.accessToken}`)).status).toBe(200);
    });

    it('should answer token_invalid for a token with a bad signature', async () => {
      const response = await me(
        `Bearer ${forgeJwt(decodeJwt(user.accessToken).header, decodeJwt(user.accessToken).payload, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)}`,
      );

      expect(response.status).toBe(401);
      expect(response.body.code).toBe('token_invalid');
      expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
    });

    it('should answer token_expired for an expired token', async () => {
      const now = Math.floor(Date.now() / 1000);
      const expired = forgeJwt(
        decodeJwt(user.accessToken).header,
        { ...decodeJwt(user.accessToken).payload, iat: now - 3600, exp: now - 600 },
        appSigningKey(test).key,
      );
      const response = await me(`Bearer ${expired}`);

      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ code: 'token_expired', message: 'Access token has expired' });
      expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
    });

    it('should answer session_ended once the session is logged out, on the first and the remembered path alike', async () => {
      const other = await login(test, user.email);
      expect((await me(`Bearer ${other.accessToken}`)).status).toBe(200);
      await test.http.post('/api/v1/auth/logout').set(bearer(other.accessToken)).expect(204);

      const response = await me(`Bearer ${other.accessToken}`);

      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ code: 'session_ended', message: 'Session has ended' });
      expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
    });
  });

  describe('codes of other errors', () => {
    it('should answer invalid_credentials for a wrong password, with a Bearer challenge', async () => {
      const response = await test.http.post('/api/v1/auth/login').send({ email: user.email, password: 'not the password' });

      expect(response.status).toBe(401);
      expect(response.body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        code: 'invalid_credentials',
        message: 'Invalid email, username or password',
      });
      expect(response.headers['www-authenticate']).toBe('Bearer realm="api"');
    });

    it('should answer validation_failed listing each problem', async () => {
      const response = await test.http.post('/api/v1/auth/register').send({ email: 'nope', password: PASSWORD, extra: 1 });

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('validation_failed');
      expect(response.body.message).toEqual(
        expect.arrayContaining(['email must be a valid email address', 'property extra should not exist']),
      );
    });

    it('should answer email_taken for a registered address', async () => {
      const response = await test.http.post('/api/v1/auth/register').send({ email: user.email, password: PASSWORD });

      expect(response.status).toBe(409);
      expect(response.body.code).toBe('email_taken');
    });

    it('should answer unsupported_media_type saying to send JSON', async () => {
      const response = await test.http
        .post('/api/v1/auth/login')
        .set('Content-Type', 'application/x-www-form-urlencoded')
        .send('email=a&password=b');

      expect(response.status).toBe(415);
      expect(response.body.code).toBe('unsupported_media_type');
      expect(response.body.message).toMatch(/Content-Type: application\/json/);
    });

    it('should answer forbidden for a route that needs a role the caller lacks, and not_found for an unknown route', async () => {
      const forbidden = await test.http.get('/api/v1/users').set(bearer(user.accessToken));
      const missing = await test.http.get('/api/v1/nothing-here').set(bearer(user.accessToken));

      expect(forbidden.status).toBe(403);
      expect(forbidden.body.code).toBe('forbidden');
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('not_found');
    });

    it('should not say "at least 1 bytes long" about an empty password', async () => {
      const response = await test.http.post('/api/v1/auth/login').send({ email: user.email, password: '' });

      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body.message)).not.toMatch(/bytes long \(1 ASCII/);
    });
  });

  describe('caching', () => {
    it.each(['/api/v1/auth/me', '/api/v1/auth/sessions', '/api/v1/auth/events'])(
      'should answer %s with Cache-Control: no-store',
      async (path) => {
        const response = await test.http.get(path).set(bearer(user.accessToken));

        expect(response.status).toBe(200);
        expect(response.headers['cache-control']).toBe('no-store');
      },
    );

    it('should answer the admin reads with Cache-Control: no-store', async () => {
      for (const path of ['/api/v1/users', `/api/v1/users/${user.user.id}`, `/api/v1/users/${user.user.id}/events`]) {
        const response = await test.http.get(path).set(bearer(admin.accessToken));

        expect(response.status, path).toBe(200);
        expect(response.headers['cache-control'], path).toBe('no-store');
      }
    });

    it('should leave the cache policy a route sets itself', async () => {
      expect((await test.http.get('/app.js')).headers['cache-control']).toBe('no-cache');
    });
  });

  describe('framework errors', () => {
    it('should answer a malformed URL in the common shape, with the security headers', async () => {
      const response = await test.http.get('/api/v1/users/%E0%A4%A');

      expect(response.status).toBe(400);
      expectErrorShape(response.body, 400);
      expect(response.body.code).toBe('bad_request');
      expect(JSON.stringify(response.body)).not.toContain('FST_');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(response.headers['cache-control']).toBe('no-store');
    });
  });

  describe('look-alike text', () => {
    it.each(['\u200b', '\u2060', '\u00ad', '\u202e', '\ufeff'])('should refuse an email holding %j', async (character) => {
      const [local, domain] = uniqueEmail().split('@');
      const response = await test.http
        .post('/api/v1/auth/register')
        .send({ email: `${local}${character}@${domain}`, password: PASSWORD });

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('validation_failed');
      expect(response.body.message).toContain(
        'email must not contain invisible or direction-changing characters (such as U+200B, U+00AD or U+202E)',
      );
    });

    it('should refuse a name holding an invisible or direction-changing character', async () => {
      for (const name of ['Ada\u200bLovelace', 'Ada \u202eecalevol']) {
        const response = await test.http.patch('/api/v1/users/me').set(bearer(user.accessToken)).send({ name });

        expect(response.status, JSON.stringify(name)).toBe(400);
        expect(response.body.message).toContain(
          'name must not contain invisible or direction-changing characters (such as U+200B, U+00AD or U+202E)',
        );
      }
    });

    it('should keep a joiner inside a name, as Persian spelling and emoji sequences need', async () => {
      const name = 'می\u200cخواهم 👩\u200d💻';
      const response = await test.http.patch('/api/v1/users/me').set(bearer(user.accessToken)).send({ name });

      expect(response.status).toBe(200);
      expect(response.body.name).toBe(name);
    });
  });

  describe('the OpenAPI document', () => {
    let openApi: OpenApi;
    const codesOf = (response: Response | undefined) => Object.keys(response?.content?.['application/json']?.examples ?? {});

    beforeAll(async () => {
      openApi = (await test.http.get('/docs-json')).body as OpenApi;
    });

    it('should describe the one error shape with every code', () => {
      expect(openApi.components.schemas.ErrorResponse.properties.code.enum).toEqual(Object.keys(ERROR_CODES));
    });

    it('should put the shape on every error response of every route, and 401 with the token codes on every bearer route', () => {
      for (const [path, item] of Object.entries(openApi.paths)) {
        for (const [method, operation] of Object.entries(item)) {
          for (const [status, response] of Object.entries(operation.responses).filter(([status]) => Number(status) >= 400)) {
            expect(response.content?.['application/json']?.schema?.$ref, `${method} ${path} ${status}`).toBe(
              '#/components/schemas/ErrorResponse',
            );
          }
          // No security of its own: the document's default, bearer. Public routes have an empty requirement.
          const bearerRoute = (operation.security ?? [{ bearer: [] }]).some((requirement) => 'bearer' in requirement);
          if (bearerRoute)
            expect(codesOf(operation.responses['401']), `${method} ${path}`).toEqual([
              'token_missing',
              'token_invalid',
              'token_expired',
              'session_ended',
            ]);
        }
      }
    });

    it('should list the codes a route declares under their statuses', () => {
      const login = openApi.paths['/api/v1/auth/login'].post.responses;
      const me = openApi.paths['/api/v1/auth/me'].get.responses;

      expect(codesOf(login['401'])).toEqual(['invalid_credentials']);
      expect(codesOf(login['429'])).toEqual(['account_locked', 'rate_limited']);
      expect(codesOf(login['415'])).toEqual(['unsupported_media_type']);
      expect(codesOf(openApi.paths['/api/v1/users/{id}'].patch.responses['409'])).toEqual(['last_admin', 'conflict']);
      expect(me['400']).toBeUndefined();
    });
  });
});
