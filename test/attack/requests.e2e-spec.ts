import bcrypt from 'bcryptjs';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectErrorShape, login, PASSWORD, registerUser, uniqueEmail } from '../support/factories.js';
import { createTestDatabase, startTestApp, type TestApp } from '../support/test-app.js';

/** The API's headers, present on every JSON answer, errors included. */
function expectSecurityHeaders(headers: Record<string, string>): void {
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
  expect(headers['cache-control']).toBe('no-store');
  expect(headers['referrer-policy']).toBe('no-referrer');
}

describe('attack: hostile requests (e2e)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({ env: { CORS_ORIGINS: 'https://app.example.com' } });
  });

  afterAll(async () => {
    await test?.close();
  });

  const register = (body: unknown) => test.http.post('/api/v1/auth/register').send(body as object);

  describe('content types', () => {
    it.each([
      ['a form', 'application/x-www-form-urlencoded', 'email=a%40b.co&password=correct+horse+battery'],
      ['text/plain', 'text/plain', '{"email":"a@b.co","password":"correct horse battery"}'],
      [
        'multipart',
        'multipart/form-data; boundary=x',
        '--x\r\nContent-Disposition: form-data; name="email"\r\n\r\na@b.co\r\n--x--',
      ],
    ])('should refuse a login or register sent as %s with 415', async (_case, type, body) => {
      for (const path of ['/api/v1/auth/login', '/api/v1/auth/register', '/api/v1/auth/refresh']) {
        const response = await test.http.post(path).set('Content-Type', type).send(body);
        expect(response.status, path).toBe(415);
        expectErrorShape(response.body, 415);
        expectSecurityHeaders(response.headers);
      }
    });
  });

  describe('text that is not text', () => {
    it.each([
      ['a NUL in the email', { email: 'a\u0000@example.com', password: PASSWORD }],
      ['a NUL in the name', { email: uniqueEmail(), password: PASSWORD, name: 'Ada\u0000' }],
      ['a NUL in the password', { email: uniqueEmail(), password: 'correct\u0000horse' }],
      ['a lone high surrogate in the name', { email: uniqueEmail(), password: PASSWORD, name: 'Ada \ud800' }],
      ['a lone low surrogate in the password', { email: uniqueEmail(), password: 'correct horse \udc00' }],
      ['a NUL in an unknown key', { email: uniqueEmail(), password: PASSWORD, 'x\u0000': 1 }],
    ])('should answer %s with 400 before the database sees it', async (_case, body) => {
      const response = await register(body);

      expect(response.status).toBe(400);
      expectErrorShape(response.body, 400);
    });

    it('should refuse a NUL in a login and in a query string', async () => {
      const { accessToken } = await registerUser(test);
      const admin = await registerUser(test);
      await test.app.get(DataSource).query(`UPDATE users SET roles = '{user,admin}' WHERE id = $1`, [admin.user.id]);

      expect((await test.http.post('/api/v1/auth/login').send({ email: 'a@b.co', password: 'pass\u0000word' })).status).toBe(400);
      expect((await test.http.get('/api/v1/users?search=%00').set(bearer(admin.accessToken))).status).toBe(400);
      expect(accessToken).toBeTruthy();
    });

    it('should accept real unicode, including emoji and accents, in names', async () => {
      const { user } = await registerUser(test, { name: 'Zoë 🦊 Ōsaka 李' });

      expect(user.name).toBe('Zoë 🦊 Ōsaka 李');
    });

    it.each(['Ada\u0007', 'Ada\nLovelace', 'Ada\u009b'])('should refuse control characters in a name (%j)', async (name) => {
      expect((await register({ email: uniqueEmail(), password: PASSWORD, name })).status).toBe(400);
    });

    it.each([
      'ada@exa\u0000mple.com',
      'ada lovelace@example.com',
      'ada@example.com\r\nBcc: x@evil.example',
      '<script>@example.com',
      'ada@',
    ])('should refuse the email %j', async (email) => {
      expect((await register({ email, password: PASSWORD })).status).toBe(400);
    });

    it('should match a password typed with composed or decomposed accents (NFC)', async () => {
      const composed = 'caf\u00e9 au lait, s\u00e9rieux';
      const decomposed = composed.normalize('NFD');
      expect(decomposed).not.toBe(composed);
      const { email } = await registerUser(test, { password: decomposed });

      expect((await test.http.post('/api/v1/auth/login').send({ email, password: composed })).status).toBe(200);
    });
  });

  describe('password policy', () => {
    it.each([
      [{ password: 'password123' }, 'password is too common: it is on a list of the most used passwords'],
      [{ password: 'Qwertyuiop' }, 'password is too common: it is on a list of the most used passwords'],
      [
        { email: 'grace.hopper@example.com', password: 'grace.hopper' },
        'password must not be your email address or its name part',
      ],
      [
        { email: 'grace.hopper@example.com', password: 'Grace.Hopper@Example.com' },
        'password must not be your email address or its name part',
      ],
      [{ password: '1234567' }, 'password must be at least 8 bytes long (8 ASCII characters)'],
      [{ password: '€'.repeat(25) }, 'password must be at most 72 bytes in UTF-8 (bcrypt ignores the rest)'],
    ])('should refuse %j, saying why', async (fields, message) => {
      const response = await register({ email: uniqueEmail(), ...fields });

      expect(response.status).toBe(400);
      expect(response.body.message).toContain(message);
    });

    it('should accept a long passphrase without composition rules', async () => {
      expect((await register({ email: uniqueEmail(), password: 'all lower case words are fine' })).status).toBe(201);
    });
  });

  describe('mass assignment and other people’s things', () => {
    it.each([
      { roles: ['admin'] },
      { id: '00000000-0000-4000-8000-000000000000' },
      { emailVerified: true },
      { disabled: false },
      { passwordHash: 'x' },
    ])('should refuse %j in a registration and in a profile update', async (extra) => {
      const { accessToken } = await registerUser(test);

      expect((await register({ email: uniqueEmail(), password: PASSWORD, ...extra })).status).toBe(400);
      expect(
        (
          await test.http
            .patch('/api/v1/users/me')
            .set(bearer(accessToken))
            .send({ name: 'x', ...extra })
        ).status,
      ).toBe(400);
      expect((await test.http.get('/api/v1/auth/me').set(bearer(accessToken))).body).toMatchObject({
        roles: ['user'],
        emailVerified: false,
      });
    });

    it('should refuse another user’s id on the user routes to a non-admin', async () => {
      const victim = await registerUser(test);
      const attacker = await registerUser(test);

      for (const call of [
        test.http.get(`/api/v1/users/${victim.user.id}`),
        test.http.patch(`/api/v1/users/${victim.user.id}`).send({ name: 'pwned' }),
        test.http.delete(`/api/v1/users/${victim.user.id}`),
        test.http.get(`/api/v1/users/${victim.user.id}/events`),
      ]) {
        expect((await call.set(bearer(attacker.accessToken))).status).toBe(403);
      }
      expect((await test.http.get('/api/v1/auth/me').set(bearer(victim.accessToken))).body.name).toBeNull();
    });
  });

  describe('injection-shaped and oversized input', () => {
    it.each([
      { email: "' OR '1'='1' --@example.com", password: PASSWORD },
      { email: { $ne: null }, password: { $ne: null } },
      { email: { $gt: '' }, password: PASSWORD },
      { email: ['a@example.com'], password: PASSWORD },
      { email: 'admin@example.com', password: "' OR 1=1; DROP TABLE users; --" },
    ])('should answer the login %j with 400 or 401, never 500', async (body) => {
      const response = await test.http.post('/api/v1/auth/login').send(body);

      expect([400, 401]).toContain(response.status);
      expectErrorShape(response.body, response.status);
    });

    it('should answer very long strings with 400 or 413, never 500', async () => {
      for (const body of [
        { email: `${'a'.repeat(300)}@example.com`, password: PASSWORD },
        { email: uniqueEmail(), password: PASSWORD, name: 'x'.repeat(5_000) },
        { email: uniqueEmail(), password: 'x'.repeat(10_000) },
        { email: uniqueEmail(), password: PASSWORD, name: 'x'.repeat(100_000) },
      ]) {
        const response = await register(body);
        expect([400, 413]).toContain(response.status);
        expectErrorShape(response.body, response.status);
      }
    });

    it('should answer deeply nested and huge JSON with 4xx, never 500', async () => {
      const nested = `{"email":${'['.repeat(5_000)}${']'.repeat(5_000)},"password":"x"}`;
      const wide = JSON.stringify({
        email: uniqueEmail(),
        password: PASSWORD,
        extra: Array.from({ length: 5_000 }, (_, i) => i),
      });

      for (const body of [nested, wide]) {
        const response = await test.http.post('/api/v1/auth/register').set('Content-Type', 'application/json').send(body);
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        expectErrorShape(response.body, response.status);
      }
    });

    it('should use and validate the last of duplicate JSON keys', async () => {
      const email = uniqueEmail('dup');
      const body = `{"email":"not-an-email","email":"${email}","password":"short","password":"${PASSWORD}"}`;
      const sneaky = `{"email":"${uniqueEmail()}","password":"${PASSWORD}","name":"ok","name":"${'x'.repeat(101)}"}`;

      const response = await test.http.post('/api/v1/auth/register').set('Content-Type', 'application/json').send(body);
      const refused = await test.http.post('/api/v1/auth/register').set('Content-Type', 'application/json').send(sneaky);

      expect(response.status).toBe(201);
      expect(response.body.user.email).toBe(email);
      expect(refused.status).toBe(400);
    });

    it.each(['{"__proto__":{"roles":["admin"]}}', '{"constructor":{"prototype":{"roles":["admin"]}}}'])(
      'should refuse prototype keys (%s)',
      async (extra) => {
        const body = `{"email":"${uniqueEmail()}","password":"${PASSWORD}",${extra.slice(1, -1)}}`;
        const response = await test.http.post('/api/v1/auth/register').set('Content-Type', 'application/json').send(body);

        expect(response.status).toBe(400);
        expect(({} as Record<string, unknown>).roles).toBeUndefined();
      },
    );

    it('should let exactly one of a flood of concurrent registrations of one email through, and no 500', async () => {
      const email = uniqueEmail('flood');

      const responses = await Promise.all(Array.from({ length: 30 }, () => register({ email, password: PASSWORD })));
      const statuses = responses.map((r) => r.status);

      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(29);
    });
  });

  describe('CORS', () => {
    it.each(['https://evil.example', 'null', 'https://app.example.com.evil.example', 'http://app.example.com'])(
      'should not allow the origin %s',
      async (origin) => {
        const response = await test.http
          .options('/api/v1/auth/refresh')
          .set('Origin', origin)
          .set('Access-Control-Request-Method', 'POST');

        expect(response.headers['access-control-allow-origin']).toBeUndefined();
      },
    );

    it('should echo the configured origin, never *', async () => {
      const response = await test.http
        .post('/api/v1/auth/login')
        .set('Origin', 'https://app.example.com')
        .send({ email: 'a@b.co', password: 'x' });

      expect(response.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(response.headers['access-control-allow-credentials']).toBe('true');
    });
  });

  describe('answers', () => {
    it('should send security headers and no-store on token answers and on every kind of error', async () => {
      const { accessToken, refreshToken, email } = await registerUser(test);
      const answers = [
        await test.http.post('/api/v1/auth/login').send({ email, password: PASSWORD }),
        await test.http.post('/api/v1/auth/refresh').send({ refreshToken }),
        await test.http.get('/api/v1/auth/me'),
        await test.http.get('/api/v1/users').set(bearer(accessToken)),
        await test.http.get('/api/v1/nowhere'),
        await test.http.post('/api/v1/auth/login').send({}),
        await register({ email, password: PASSWORD }),
      ];

      expect(answers.map((r) => r.status)).toEqual([200, 200, 401, 403, 404, 400, 409]);
      for (const answer of answers) {
        expectSecurityHeaders(answer.headers);
        expect(answer.headers['cache-control']).toBe('no-store');
        if (answer.status >= 400) expectErrorShape(answer.body, answer.status);
      }
    });
  });

  describe('user enumeration', () => {
    it('should answer login and forgot-password the same for unknown and known emails', async () => {
      const { email } = await registerUser(test);
      const unknown = uniqueEmail('nobody');

      const loginKnown = await test.http.post('/api/v1/auth/login').send({ email, password: 'wrong password' });
      const loginUnknown = await test.http.post('/api/v1/auth/login').send({ email: unknown, password: 'wrong password' });
      const forgotKnown = await test.http.post('/api/v1/auth/password/forgot').send({ email });
      const forgotUnknown = await test.http.post('/api/v1/auth/password/forgot').send({ email: unknown });

      expect([loginKnown.status, loginKnown.body]).toEqual([loginUnknown.status, loginUnknown.body]);
      expect([forgotKnown.status, forgotKnown.body]).toEqual([forgotUnknown.status, forgotUnknown.body]);
    });
  });
});

describe('attack: timing (e2e)', () => {
  let test: TestApp;

  beforeAll(async () => {
    // A realistic cost, so hashing (not noise) is what a login spends its time on.
    test = await startTestApp({ env: { BCRYPT_COST: '10' } });
  });

  afterAll(async () => {
    await test?.close();
  });

  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const timed = async (call: () => Promise<unknown>) => {
    const started = process.hrtime.bigint();
    await call();
    return Number(process.hrtime.bigint() - started) / 1e6;
  };

  it('should take as long to refuse an unknown email as a wrong password (medians within 25%)', async () => {
    const known = [];
    for (let i = 0; i < 12; i++) known.push((await registerUser(test)).email);
    const knownTimes: number[] = [];
    const unknownTimes: number[] = [];

    for (const email of known) {
      knownTimes.push(await timed(() => test.http.post('/api/v1/auth/login').send({ email, password: 'wrong password' })));
      unknownTimes.push(
        await timed(() =>
          test.http.post('/api/v1/auth/login').send({ email: uniqueEmail('nobody'), password: 'wrong password' }),
        ),
      );
    }

    const [k, u] = [median(knownTimes), median(unknownTimes)];
    expect(Math.abs(u - k) / k, `known ${k.toFixed(1)} ms, unknown ${u.toFixed(1)} ms`).toBeLessThanOrEqual(0.25);
  });

  it('should take as long to answer forgot-password for an unknown email as for a known one (medians within 25%)', async () => {
    const known = [];
    for (let i = 0; i < 9; i++) known.push((await registerUser(test)).email);
    const knownTimes: number[] = [];
    const unknownTimes: number[] = [];

    for (const email of known) {
      knownTimes.push(await timed(() => test.http.post('/api/v1/auth/password/forgot').send({ email })));
      unknownTimes.push(await timed(() => test.http.post('/api/v1/auth/password/forgot').send({ email: uniqueEmail('nobody') })));
    }

    const [k, u] = [median(knownTimes), median(unknownTimes)];
    expect(Math.abs(u - k) / k, `known ${k.toFixed(1)} ms, unknown ${u.toFixed(1)} ms`).toBeLessThanOrEqual(0.25);
  });
});

describe('attack: hashes follow BCRYPT_COST (e2e)', () => {
  it('should upgrade a user’s hash to a raised cost at the next successful login', async () => {
    const database = await createTestDatabase();
    try {
      const before = await startTestApp({ database, env: { BCRYPT_COST: '4' } });
      const { email, user } = await registerUser(before);
      await before.close();

      const after = await startTestApp({ database, env: { BCRYPT_COST: '6' } });
      try {
        const hashOf = async () =>
          (
            await after.app
              .get(DataSource)
              .query<Array<{ password_hash: string }>>('SELECT password_hash FROM users WHERE id = $1', [user.id])
          )[0].password_hash;
        expect(bcrypt.getRounds(await hashOf())).toBe(4);

        await after.http.post('/api/v1/auth/login').send({ email, password: 'wrong password' }).expect(401);
        expect(bcrypt.getRounds(await hashOf())).toBe(4);

        await login(after, email);
        expect(bcrypt.getRounds(await hashOf())).toBe(6);
        await login(after, email);
      } finally {
        await after.close();
      }
    } finally {
      await database.drop();
    }
  });
});
