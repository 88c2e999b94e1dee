import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuthService } from '../src/auth/auth.service.js';
import { bearer, expectErrorShape, login, PASSWORD, registerUser, uniqueEmail, type TokenBody } from './support/factories.js';
import { decodeJwt } from './support/jwt.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('auth (e2e)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp();
  });

  afterAll(async () => {
    await test?.close();
  });

  describe('POST /api/v1/auth/register', () => {
    it('should create the user and answer a token response that is not cached', async () => {
      const response = await test.http
        .post('/api/v1/auth/register')
        .send({ email: '  Grace.Hopper@Example.COM ', password: PASSWORD, name: ' Grace ' });

      expect(response.status).toBe(201);
      expect(response.headers['cache-control']).toBe('no-store');
      const body = response.body as TokenBody;
      expect(body).toEqual({
        accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
        refreshToken: expect.stringMatching(/^[0-9a-f-]{36}\.[\w-]{43}$/),
        tokenType: 'Bearer',
        expiresIn: 900,
        user: {
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          email: 'grace.hopper@example.com',
          username: null,
          name: 'Grace',
          roles: ['user'],
          emailVerified: false,
          disabled: false,
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
        },
      });
      expect(JSON.stringify(body)).not.toMatch(/password|\$2[aby]\$/i);
    });

    it('should put sub, sid, roles, iat, exp and jti in the access token', async () => {
      const { accessToken, user } = await registerUser(test);
      const payload = JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
      const header = JSON.parse(Buffer.from(accessToken.split('.')[0], 'base64url').toString()) as Record<string, unknown>;

      expect(header).toEqual({ alg: 'ES256', typ: 'JWT', kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
      expect(payload).toMatchObject({ sub: user.id, sid: expect.any(String), roles: ['user'], jti: expect.any(String) });
      expect(Number(payload.exp) - Number(payload.iat)).toBe(900);
    });

    it('should answer 409 for an email already registered, whatever its case', async () => {
      const { email } = await registerUser(test);

      const response = await test.http.post('/api/v1/auth/register').send({ email: email.toUpperCase(), password: PASSWORD });

      expect(response.status).toBe(409);
      expectErrorShape(response.body, 409);
      expect(response.body.message).toBe('Email is already registered');
    });

    it('should let exactly one of many concurrent registrations of one email succeed', async () => {
      const email = uniqueEmail('race');
      const responses = await Promise.all(
        Array.from({ length: 12 }, () => test.http.post('/api/v1/auth/register').send({ email, password: PASSWORD })),
      );
      const statuses = responses.map((r) => r.status).sort();

      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(11);
    });

    it.each([
      [{ email: 'not-an-email', password: PASSWORD }, 'email must be a valid email address'],
      [{ email: uniqueEmail(), password: 'short' }, 'password must be at least 8 bytes long (8 ASCII characters)'],
      [
        { email: uniqueEmail(), password: 'é'.repeat(37) },
        'password must be at most 72 bytes in UTF-8 (bcrypt ignores the rest)',
      ],
      [{ email: uniqueEmail(), password: PASSWORD, roles: ['admin'] }, 'property roles should not exist'],
      [{ email: uniqueEmail(), password: PASSWORD, id: '00000000-0000-4000-8000-000000000000' }, 'property id should not exist'],
      [{ email: uniqueEmail(), password: 12345678 }, 'password must be a string'],
      [
        { email: uniqueEmail(), password: PASSWORD, name: 'x'.repeat(101) },
        'name must be shorter than or equal to 100 characters',
      ],
      [{ email: uniqueEmail(), password: PASSWORD, name: '   ' }, 'name must not be empty'],
      [{ password: PASSWORD }, 'email must be a string'],
    ])('should answer 400 naming the problem for %j', async (body, message) => {
      const response = await test.http.post('/api/v1/auth/register').send(body);

      expect(response.status).toBe(400);
      expectErrorShape(response.body, 400);
      expect(response.body.message).toContain(message);
    });

    it.each([
      ['a common password', 'iloveyou', 'password is too common: it is on a list of the most used passwords'],
      ['the email', 'policy-user@example.com', 'password must not be your email address or its name part'],
      ['the name part of the email', 'policy-user', 'password must not be your email address or its name part'],
    ])('should refuse %s as the password with the code password_policy', async (_case, password, message) => {
      const response = await test.http.post('/api/v1/auth/register').send({ email: 'policy-user@example.com', password });

      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'password_policy', message: [message] });
    });

    it('should accept a password of exactly 72 bytes and refuse 73', async () => {
      const ok = await test.http.post('/api/v1/auth/register').send({ email: uniqueEmail(), password: 'a'.repeat(72) });
      const tooLong = await test.http.post('/api/v1/auth/register').send({ email: uniqueEmail(), password: 'a'.repeat(73) });

      expect(ok.status).toBe(201);
      expect(tooLong.status).toBe(400);
    });
  });

  describe('POST /api/v1/auth/login', () => {
    it('should log in with the right password, whatever the email case', async () => {
      const { email, user } = await registerUser(test);

      const response = await test.http.post('/api/v1/auth/login').send({ email: ` ${email.toUpperCase()} `, password: PASSWORD });

      expect(response.status).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.body).toMatchObject({ tokenType: 'Bearer', user: { id: user.id, email } });
    });

    it('should answer the same 401 for a wrong password and an unknown email', async () => {
      const { email } = await registerUser(test);

      const wrong = await test.http.post('/api/v1/auth/login').send({ email, password: 'wrong password!' });
      const unknown = await test.http.post('/api/v1/auth/login').send({ email: uniqueEmail('nobody'), password: PASSWORD });

      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(wrong.body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        code: 'invalid_credentials',
        message: 'Invalid email, username or password',
      });
      expect(unknown.body).toEqual(wrong.body);
    });

    it('should refuse a password longer than 72 bytes even when its first 72 bytes match', async () => {
      const password = 'b'.repeat(72);
      const { email } = await registerUser(test, { password });

      const response = await test.http.post('/api/v1/auth/login').send({ email, password: `${password}extra` });

      expect(response.status).toBe(400);
    });

    it('should say an empty password must not be empty', async () => {
      const response = await test.http.post('/api/v1/auth/login').send({ email: uniqueEmail(), password: '' });

      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'validation_failed', message: ['password must not be empty'] });
    });

    it('should answer 401, not 404, when the account is deleted between the password check and the session start', async () => {
      const { email, user } = await registerUser(test);
      const auth = test.app.get(AuthService);
      const checkCredentials = auth.checkCredentials.bind(auth);
      const spy = vi.spyOn(auth, 'checkCredentials').mockImplementationOnce(async (...args) => {
        const checked = await checkCredentials(...args);
        await test.app.get(DataSource).query('DELETE FROM users WHERE id = $1', [user.id]);
        return checked;
      });

      const response = await test.http.post('/api/v1/auth/login').send({ email, password: PASSWORD });
      spy.mockRestore();

      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ code: 'invalid_credentials', message: 'Invalid email, username or password' });
    });

    it.each([
      [{}],
      [{ email: 'a@b.co' }],
      [{ email: 42, password: PASSWORD }],
      [{ email: 'a@b.co', password: PASSWORD, remember: true }],
    ])('should answer 400 for the malformed body %j', async (body) => {
      const response = await test.http.post('/api/v1/auth/login').send(body);

      expect(response.status).toBe(400);
      expectErrorShape(response.body, 400);
    });
  });

  describe('GET /api/v1/auth/me', () => {
    it('should answer the caller', async () => {
      const { accessToken, user } = await registerUser(test, { name: 'Me Myself' });

      const response = await test.http.get('/api/v1/auth/me').set(bearer(accessToken));

      expect(response.status).toBe(200);
      expect(response.body).toEqual(user);
    });

    it.each([
      ['no header', undefined],
      ['a garbage token', 'Bearer not.a.jwt'],
      ['the token without a scheme', 'TOKEN'],
      ['a Basic scheme', 'Basic dXNlcjpwYXNz'],
    ])('should answer 401 with %s', async (_case, header) => {
      const { accessToken } = await registerUser(test);
      const call = test.http.get('/api/v1/auth/me');
      if (header) void call.set('Authorization', header.replace('TOKEN', accessToken));

      const response = await call;

      expect(response.status).toBe(401);
      expectErrorShape(response.body, 401);
    });

    it('should ignore a token in the query string', async () => {
      const { accessToken } = await registerUser(test);

      const response = await test.http.get(`/api/v1/auth/me?access_token=${accessToken}`);

      expect(response.status).toBe(401);
    });

    it('should refuse a token whose signature was changed', async () => {
      const { accessToken } = await registerUser(test);
      const [header, payload, signature] = accessToken.split('.');
      const flipped = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;

      const response = await test.http.get('/api/v1/auth/me').set(bearer(flipped));

      expect(response.status).toBe(401);
    });

    it('should refuse an unsigned token (alg none)', async () => {
      const { accessToken } = await registerUser(test);
      const payload = accessToken.split('.')[1];
      const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;

      const response = await test.http.get('/api/v1/auth/me').set('Authorization', `Bearer ${unsigned}`);

      expect(response.status).toBe(401);
    });
  });

  describe('POST /api/v1/auth/refresh', () => {
    it('should issue a new pair and spend the old refresh token', async () => {
      const first = await registerUser(test);

      const response = await test.http.post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken });

      expect(response.status).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      const second = response.body as TokenBody;
      expect(second.refreshToken).not.toBe(first.refreshToken);
      expect(second.accessToken).not.toBe(first.accessToken);
      expect(second.user.id).toBe(first.user.id);
      const me = await test.http.get('/api/v1/auth/me').set(bearer(second.accessToken));
      expect(me.status).toBe(200);
    });

    it('should give racing refreshes with one token the same successor, and only one', async () => {
      const first = await registerUser(test);

      const responses = await Promise.all(
        Array.from({ length: 8 }, () => test.http.post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken })),
      );

      expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200));
      const successors = new Set(responses.map((r) => (r.body as TokenBody).refreshToken));
      expect(successors.size).toBe(1);
      // One token: the same claims and jti (an ECDSA signature differs each time it is made).
      expect(new Set(responses.map((r) => JSON.stringify(decodeJwt((r.body as TokenBody).accessToken).payload))).size).toBe(1);
      const [successor] = successors;
      const next = await test.http.post('/api/v1/auth/refresh').send({ refreshToken: successor });
      expect(next.status).toBe(200);
      const sessions = await test.http.get('/api/v1/auth/sessions').set(bearer((next.body as TokenBody).accessToken));
      expect(sessions.body).toHaveLength(1);
    });

    it('should treat an older spent token as theft and end the whole session', async () => {
      const first = await registerUser(test);
      const second = (await test.http.post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken })).body as TokenBody;
      const third = (await test.http.post('/api/v1/auth/refresh').send({ refreshToken: second.refreshToken })).body as TokenBody;

      const replay = await test.http.post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken });

      expect(replay.status).toBe(401);
      expect(replay.body.message).toBe('Refresh token was already used; the session has been ended');
      expect((await test.http.post('/api/v1/auth/refresh').send({ refreshToken: third.refreshToken })).status).toBe(401);
      expect((await test.http.get('/api/v1/auth/me').set(bearer(third.accessToken))).status).toBe(401);
    });

    it.each([
      ['garbage', 'not-a-token'],
      ['an unknown session', '00000000-0000-4000-8000-000000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
      ['an access token', 'ACCESS'],
    ])('should answer 401 for %s', async (_case, token) => {
      const { accessToken } = await registerUser(test);

      const response = await test.http
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: token === 'ACCESS' ? accessToken : token });

      expect(response.status).toBe(401);
      expect(response.body.message).toBe('Invalid or expired refresh token');
    });

    it('should not accept a refresh token as an access token', async () => {
      const { refreshToken } = await registerUser(test);

      const response = await test.http.get('/api/v1/auth/me').set(bearer(refreshToken));

      expect(response.status).toBe(401);
    });

    it('should answer 400 without a refresh token', async () => {
      const response = await test.http.post('/api/v1/auth/refresh').send({});

      expect(response.status).toBe(400);
      expectErrorShape(response.body, 400);
    });
  });

  describe('POST /api/v1/auth/logout and logout-all', () => {
    it('should end this session: its access and refresh tokens stop working at once', async () => {
      const { accessToken, refreshToken } = await registerUser(test);

      const response = await test.http.post('/api/v1/auth/logout').set(bearer(accessToken));

      expect(response.status).toBe(204);
      expect((await test.http.get('/api/v1/auth/me').set(bearer(accessToken))).status).toBe(401);
      expect((await test.http.post('/api/v1/auth/refresh').send({ refreshToken })).status).toBe(401);
    });

    it('should leave the user’s other sessions alone on logout', async () => {
      const { email, accessToken } = await registerUser(test);
      const other = await login(test, email);

      await test.http.post('/api/v1/auth/logout').set(bearer(accessToken)).expect(204);

      expect((await test.http.get('/api/v1/auth/me').set(bearer(other.accessToken))).status).toBe(200);
    });

    it('should end every session of the user on logout-all, and no one else’s', async () => {
      const { email, accessToken } = await registerUser(test);
      const other = await login(test, email);
      const stranger = await registerUser(test);

      const response = await test.http.post('/api/v1/auth/logout-all').set(bearer(accessToken));

      expect(response.status).toBe(204);
      expect((await test.http.get('/api/v1/auth/me').set(bearer(accessToken))).status).toBe(401);
      expect((await test.http.get('/api/v1/auth/me').set(bearer(other.accessToken))).status).toBe(401);
      expect((await test.http.post('/api/v1/auth/refresh').send({ refreshToken: other.refreshToken })).status).toBe(401);
      expect((await test.http.get('/api/v1/auth/me').set(bearer(stranger.accessToken))).status).toBe(200);
    });

    it('should answer 401 to logout without a token', async () => {
      expect((await test.http.post('/api/v1/auth/logout')).status).toBe(401);
      expect((await test.http.post('/api/v1/auth/logout-all')).status).toBe(401);
    });
  });

  describe('sessions', () => {
    it('should list the live sessions with the current one marked', async () => {
      const { email, accessToken } = await registerUser(test);
      const laptop = await login(test, email, PASSWORD, 'Laptop browser');
      const ended = await login(test, email);
      await test.http.post('/api/v1/auth/logout').set(bearer(ended.accessToken)).expect(204);

      const response = await test.http.get('/api/v1/auth/sessions').set(bearer(laptop.accessToken));

      expect(response.status).toBe(200);
      const sessions = response.body as Array<Record<string, unknown>>;
      expect(sessions).toHaveLength(2);
      for (const session of sessions) {
        expect(Object.keys(session).sort()).toEqual(['createdAt', 'current', 'expiresAt', 'id', 'ip', 'lastUsedAt', 'userAgent']);
      }
      const current = sessions.filter((s) => s.current);
      expect(current).toHaveLength(1);
      expect(current[0]).toMatchObject({ userAgent: 'Laptop browser', ip: '127.0.0.1' });
      expect(accessToken).toBeTruthy();
    });

    it('should end another session of the caller by id', async () => {
      const { email, accessToken } = await registerUser(test);
      const other = await login(test, email);
      const sessions = (await test.http.get('/api/v1/auth/sessions').set(bearer(accessToken))).body as Array<{
        id: string;
        current: boolean;
      }>;
      const otherId = sessions.find((s) => !s.current)!.id;

      const response = await test.http.delete(`/api/v1/auth/sessions/${otherId}`).set(bearer(accessToken));

      expect(response.status).toBe(204);
      expect((await test.http.get('/api/v1/auth/me').set(bearer(other.accessToken))).status).toBe(401);
      expect((await test.http.post('/api/v1/auth/refresh').send({ refreshToken: other.refreshToken })).status).toBe(401);
      expect((await test.http.get('/api/v1/auth/me').set(bearer(accessToken))).status).toBe(200);
      expect((await test.http.delete(`/api/v1/auth/sessions/${otherId}`).set(bearer(accessToken))).status).toBe(404);
    });

    it('should answer 404 for another user’s session and leave it alive', async () => {
      const victim = await registerUser(test);
      const victimSessions = (await test.http.get('/api/v1/auth/sessions').set(bearer(victim.accessToken))).body as Array<{
        id: string;
      }>;
      const attacker = await registerUser(test);

      const response = await test.http.delete(`/api/v1/auth/sessions/${victimSessions[0].id}`).set(bearer(attacker.accessToken));

      expect(response.status).toBe(404);
      expectErrorShape(response.body, 404);
      expect((await test.http.get('/api/v1/auth/me').set(bearer(victim.accessToken))).status).toBe(200);
    });

    it('should answer 400 for a session id that is not a uuid', async () => {
      const { accessToken } = await registerUser(test);

      const response = await test.http.delete('/api/v1/auth/sessions/not-a-uuid').set(bearer(accessToken));

      expect(response.status).toBe(400);
      expectErrorShape(response.body, 400);
    });
  });
});

describe('auth with the refresh reuse window off (e2e)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({
      env: { JWT_REFRESH_REUSE_WINDOW: '0', JWT_ISSUER: 'https://auth.test', JWT_AUDIENCE: 'test-api' },
    });
  });

  afterAll(async () => {
    await test?.close();
  });

  it('should end the session when the token just spent is used again', async () => {
    const first = await registerUser(test);
    const second = (await test.http.post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken })).body as TokenBody;

    const replay = await test.http.post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken });

    expect(replay.status).toBe(401);
    expect((await test.http.post('/api/v1/auth/refresh').send({ refreshToken: second.refreshToken })).status).toBe(401);
    expect((await test.http.get('/api/v1/auth/me').set(bearer(second.accessToken))).status).toBe(401);
  });

  it('should let at most one of many concurrent refreshes with one token through', async () => {
    const first = await registerUser(test);

    const responses = await Promise.all(
      Array.from({ length: 8 }, () => test.http.post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken })),
    );

    expect(responses.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1);
    expect(responses.every((r) => r.status === 200 || r.status === 401)).toBe(true);
  });

  it('should sign iss and aud when configured', async () => {
    const { accessToken } = await registerUser(test);
    const payload = JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()) as Record<string, unknown>;

    expect(payload).toMatchObject({ iss: 'https://auth.test', aud: 'test-api' });
    expect((await test.http.get('/api/v1/auth/me').set(bearer(accessToken))).status).toBe(200);
  });
});
