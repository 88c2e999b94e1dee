import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectErrorShape, PASSWORD, registerUser, uniqueEmail } from './support/factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

type OpenApi = {
  paths: Record<string, Record<string, { security?: Array<Record<string, string[]>>; requestBody?: unknown }>>;
  security?: Array<Record<string, string[]>>;
  components: {
    securitySchemes: Record<string, { type: string; scheme: string }>;
    schemas: Record<string, { properties?: Record<string, unknown> }>;
  };
};

/** The only routes anyone may call without a token. */
const PUBLIC_ROUTES = [
  'GET /health',
  'GET /health/live',
  'GET /health/ready',
  'POST /api/v1/auth/register',
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/refresh',
  'POST /api/v1/auth/email/verify',
  'POST /api/v1/auth/password/forgot',
  'POST /api/v1/auth/password/reset',
  'POST /api/v1/auth/email/change/confirm',
  'POST /api/v1/auth/mfa/verify',
  'GET /.well-known/jwks.json',
  'GET /.well-known/oauth-authorization-server',
  'POST /api/v1/auth/passkeys/login/options',
  'POST /api/v1/auth/passkeys/login/verify',
  'GET /api/v1/auth/oauth/providers',
  'GET /api/v1/auth/oauth/{provider}/start',
  'GET /api/v1/auth/oauth/{provider}/callback',
  'POST /api/v1/auth/oauth/exchange',
];

/** Routes for product services, which authenticate as introspection clients (HTTP Basic) instead of with a token. */
const CLIENT_ROUTES = ['POST /api/v1/oauth/introspect'];

describe('platform (e2e)', () => {
  let test: TestApp;
  let openApi: OpenApi;

  beforeAll(async () => {
    test = await startTestApp({ env: { CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' } });
    openApi = (await test.http.get('/docs-json')).body as OpenApi;
  });

  afterAll(async () => {
    await test?.close();
  });

  describe('health', () => {
    it('should answer liveness without touching a dependency', async () => {
      const response = await test.http.get('/health/live');

      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'ok' });
    });

    it('should answer ok with a database check', async () => {
      const response = await test.http.get('/health');

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
    });
  });

  describe('account page', () => {
    it.each(['/', '/verify-email?token=x', '/reset-password?token=x', '/confirm-email?token=x'])(
      'should serve the page at %s with a CSP that allows only its own scripts and styles',
      async (path) => {
        const response = await test.http.get(path);

        expect(response.status).toBe(200);
        expect(response.headers['content-type']).toMatch(/^text\/html/);
        const csp = response.headers['content-security-policy'];
        expect(csp).toContain("script-src 'self'");
        expect(csp).toContain("style-src 'self'");
        expect(csp).not.toContain('unsafe-inline');
        expect(response.text).toContain('<script type="module" src="/app.js"></script>');
        expect(response.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
        expect(response.text).not.toMatch(/\sstyle=|<style/);
      },
    );

    it('should serve the page’s script and styles', async () => {
      expect((await test.http.get('/app.js')).headers['content-type']).toMatch(/^text\/javascript/);
      expect((await test.http.get('/app.css')).headers['content-type']).toMatch(/^text\/css/);
    });
  });

  describe('API documentation', () => {
    it('should serve Swagger UI at /docs', async () => {
      const response = await test.http.get('/docs');

      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/text\/html/);
      expect(response.text).toContain('swagger-ui');
    });

    it('should declare the bearer scheme and require it by default', () => {
      expect(openApi.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(openApi.security).toEqual([{ bearer: [] }]);
    });

    it('should list every route of the API', () => {
      const routes = Object.entries(openApi.paths).flatMap(([path, methods]) =>
        Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
      );

      expect(routes.sort()).toEqual(
        [
          ...PUBLIC_ROUTES,
          ...CLIENT_ROUTES,
          'POST /api/v1/auth/logout',
          'POST /api/v1/auth/logout-all',
          'GET /api/v1/auth/me',
          'GET /api/v1/auth/sessions',
          'DELETE /api/v1/auth/sessions/{id}',
          'GET /api/v1/users',
          'GET /api/v1/users/{id}',
          'PATCH /api/v1/users/{id}',
          'DELETE /api/v1/users/{id}',
          'GET /api/v1/users/{id}/events',
          'GET /api/v1/auth/events',
          'POST /api/v1/auth/email/verify/request',
          'POST /api/v1/auth/password/change',
          'PATCH /api/v1/users/me',
          'POST /api/v1/users/me/email',
          'DELETE /api/v1/users/me',
          'GET /api/v1/signing-keys',
          'POST /api/v1/signing-keys',
          'POST /api/v1/signing-keys/{kid}/revoke',
          'GET /api/v1/auth/mfa',
          'POST /api/v1/auth/mfa/totp/setup',
          'POST /api/v1/auth/mfa/totp/confirm',
          'DELETE /api/v1/auth/mfa/totp',
          'POST /api/v1/auth/mfa/recovery-codes',
          'DELETE /api/v1/users/{id}/mfa',
          'POST /api/v1/auth/passkeys/register/options',
          'POST /api/v1/auth/passkeys/register/verify',
          'GET /api/v1/auth/passkeys',
          'PATCH /api/v1/auth/passkeys/{id}',
          'DELETE /api/v1/auth/passkeys/{id}',
          'GET /api/v1/users/{id}/sessions',
          'DELETE /api/v1/users/{id}/sessions/{sid}',
          'POST /api/v1/auth/password/set',
          'GET /api/v1/auth/identities',
          'POST /api/v1/auth/identities/{provider}/link',
          'DELETE /api/v1/auth/identities/{id}',
        ].sort(),
      );
    });

    it('should describe the request bodies with their fields', () => {
      expect(Object.keys(openApi.components.schemas.RegisterDto.properties ?? {}).sort()).toEqual([
        'email',
        'name',
        'password',
        'username',
      ]);
      expect(Object.keys(openApi.components.schemas.TokenResponseDto.properties ?? {}).sort()).toEqual([
        'accessToken',
        'expiresIn',
        'refreshToken',
        'tokenType',
        'user',
      ]);
      expect(Object.keys(openApi.components.schemas.UserResponseDto.properties ?? {})).not.toContain('passwordHash');
    });
  });

  describe('every route is guarded unless it is public', () => {
    it('should answer 401 without a token on every route not declared public, and mark public ones in the docs', async () => {
      for (const [path, methods] of Object.entries(openApi.paths)) {
        for (const [method, operation] of Object.entries(methods)) {
          const route = `${method.toUpperCase()} ${path}`;
          const url = path.replace(/\{[a-z]+\}/g, '00000000-0000-4000-8000-000000000000');
          const isPublic = PUBLIC_ROUTES.includes(route);
          const isClientRoute = CLIENT_ROUTES.includes(route);

          const call = test.http[method as 'get' | 'post' | 'patch' | 'delete'](url);
          // A client route takes a form: sent as JSON, it would answer 415 before authenticating anyone.
          const response = isClientRoute ? await call.type('form').send({ token: 'x' }) : await call.send({});

          if (isPublic) {
            expect(response.status, route).not.toBe(401);
            expect(operation.security, route).toEqual([{}]);
          } else if (isClientRoute) {
            expect(response.status, route).toBe(401);
            expect(response.body.code, route).toBe('client_unauthorized');
            expect(operation.security, route).toEqual([{ 'introspection-client': [] }]);
          } else {
            expect(response.status, route).toBe(401);
            expect(operation.security, route).toBeUndefined();
          }
        }
      }
    });
  });

  describe('errors', () => {
    it('should answer malformed JSON with 400 in the error shape', async () => {
      const response = await test.http
        .post('/api/v1/auth/login')
        .set('Content-Type', 'application/json')
        .send('{"email": "a@b.co",');

      expect(response.status).toBe(400);
      expectErrorShape(response.body, 400);
      expect(response.body.message).toMatch(/not valid JSON/);
    });

    it('should answer a body over the 16 KiB limit with 413', async () => {
      const response = await test.http
        .post('/api/v1/auth/register')
        .send({ email: uniqueEmail(), password: PASSWORD, name: 'x'.repeat(20_000) });

      expect(response.status).toBe(413);
      expectErrorShape(response.body, 413);
    });

    it('should answer a body that is not JSON with 415', async () => {
      const response = await test.http
        .post('/api/v1/auth/register')
        .set('Content-Type', 'application/xml')
        .send('<email>a@b.co</email>');

      expect(response.status).toBe(415);
      expectErrorShape(response.body, 415);
    });

    it('should refuse __proto__ and constructor keys in a body', async () => {
      const response = await test.http
        .post('/api/v1/auth/register')
        .set('Content-Type', 'application/json')
        .send(`{"email":"${uniqueEmail()}","password":"${PASSWORD}","__proto__":{"roles":["admin"]}}`);

      expect(response.status).toBe(400);
      expectErrorShape(response.body, 400);
    });

    it('should answer a JSON array or string body with 400', async () => {
      for (const body of ['[]', '"text"', 'null']) {
        const response = await test.http.post('/api/v1/auth/register').set('Content-Type', 'application/json').send(body);
        expect(response.status, body).toBe(400);
        expectErrorShape(response.body, 400);
      }
    });

    it('should answer an unknown route with 404 in the error shape', async () => {
      const response = await test.http.get('/api/v1/nothing-here');

      expect(response.status).toBe(404);
      expectErrorShape(response.body, 404);
    });

    it('should answer SQL-looking input as plain data', async () => {
      const email = `x'--${uniqueEmail()}`;
      const response = await test.http
        .post('/api/v1/auth/login')
        .send({ email: "' OR 1=1 --@example.com", password: "' OR '1'='1" });
      const register = await test.http
        .post('/api/v1/auth/register')
        .send({ email, password: PASSWORD, name: "Robert'); DROP TABLE users;--" });

      expect([400, 401]).toContain(response.status);
      expect([201, 400]).toContain(register.status);
      expect((await test.http.get('/health')).status).toBe(200);
    });
  });

  describe('headers', () => {
    it('should send an API answer the headers a JSON answer needs, and only those', async () => {
      const response = await test.http.get('/health/live');

      expect(response.headers).toMatchObject({
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
        'referrer-policy': 'no-referrer',
      });
      // Not in development (see the unit spec for production), and nothing meant for documents.
      expect(response.headers['strict-transport-security']).toBeUndefined();
      expect(response.headers['x-frame-options']).toBeUndefined();
      expect(response.headers['x-powered-by']).toBeUndefined();
    });

    it.each(['/docs', '/docs/swagger-ui-init.js', '/', '/app.js'])(
      'should send a document a browser renders (%s) helmet’s headers, with a CSP of its own',
      async (path) => {
        const response = await test.http.get(path);

        expect(response.status).toBe(200);
        expect(response.headers['x-content-type-options']).toBe('nosniff');
        expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
        expect(response.headers['cross-origin-opener-policy']).toBe('same-origin');
        expect(response.headers['content-security-policy']).toContain("default-src 'self'");
        expect(response.headers['content-security-policy']).not.toContain("default-src 'none'");
      },
    );

    it('should not answer a preflight with CORS headers when no origin is configured', async () => {
      const bare = await startTestApp();
      try {
        const response = await bare.http
          .options('/api/v1/auth/login')
          .set('Origin', 'https://app.example.com')
          .set('Access-Control-Request-Method', 'POST');

        expect(response.status).toBe(404);
        expect(response.headers['access-control-allow-origin']).toBeUndefined();
        expect(response.headers['access-control-allow-credentials']).toBeUndefined();
      } finally {
        await bare.close();
      }
    });

    it('should echo only configured CORS origins', async () => {
      const allowed = await test.http
        .options('/api/v1/auth/login')
        .set('Origin', 'https://app.example.com')
        .set('Access-Control-Request-Method', 'POST');
      const refused = await test.http
        .options('/api/v1/auth/login')
        .set('Origin', 'https://evil.example.net')
        .set('Access-Control-Request-Method', 'POST');

      expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(allowed.headers['access-control-allow-credentials']).toBe('true');
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('should not cache error answers or token answers', async () => {
      const { accessToken } = await registerUser(test);
      const error = await test.http.get('/api/v1/users').set(bearer(accessToken));

      expect(error.headers['cache-control']).toBe('no-store');
    });
  });
});
