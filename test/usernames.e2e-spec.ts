import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectErrorShape, login, PASSWORD, registerUser, uniqueEmail, type TokenBody } from './support/factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const ADMIN_EMAIL = 'root@example.com';
const ADMIN_PASSWORD = 'an admin password';

/** A username no other test of this run has: letters and digits only, 10 characters. */
function uniqueUsername(prefix = 'u'): string {
  return `${prefix}${Math.random().toString(36).slice(2, 10)}`.slice(0, 16);
}

const messageOf = (body: { message: unknown }) => JSON.stringify(body.message);

describe('usernames (e2e)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({ env: { ADMIN_EMAIL, ADMIN_PASSWORD } });
  });

  afterAll(async () => {
    await test?.close();
  });

  it('should register, log in and answer /auth/me with a username alone, exactly as the issue writes it', async () => {
    const body = { username: 'Romel', password: 'pass1425' };

    const registered = await test.http.post('/api/v1/auth/register').send(body);
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    expect(registered.body.user).toMatchObject({ username: 'Romel', email: null, emailVerified: false });

    const loggedIn = await test.http.post('/api/v1/auth/login').send(body);
    expect(loggedIn.status, JSON.stringify(loggedIn.body)).toBe(200);
    expect(loggedIn.body).toMatchObject({ accessToken: expect.any(String), refreshToken: expect.any(String) });

    const me = await test.http.get('/api/v1/auth/me').set(bearer(loggedIn.body.accessToken as string));
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: 'Romel', email: null });
  });

  it('should log in by either identifier of an account that has both, the username in any case and NFKC form', async () => {
    const email = uniqueEmail();
    const username = uniqueUsername('Ada');
    const registered = await test.http.post('/api/v1/auth/register').send({ email, username, password: PASSWORD, name: 'Ada' });
    expect(registered.status).toBe(201);
    const id = registered.body.user.id as string;

    const fullwidth = [...username.toUpperCase()].map((c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)).join('');
    for (const identifier of [{ email }, { username }, { username: username.toLowerCase() }, { username: fullwidth }]) {
      const response = await test.http.post('/api/v1/auth/login').send({ ...identifier, password: PASSWORD });
      expect(response.status, JSON.stringify(identifier)).toBe(200);
      expect(response.body.user).toMatchObject({ id, username, email });
    }
  });

  it('should refuse both identifiers at once, neither, and a wrong password or unknown username alike', async () => {
    const username = uniqueUsername();
    await test.http.post('/api/v1/auth/register').send({ username, password: PASSWORD }).expect(201);

    for (const body of [
      { email: uniqueEmail(), username, password: PASSWORD },
      { password: PASSWORD },
      { username: 42, password: PASSWORD },
    ]) {
      const response = await test.http.post('/api/v1/auth/login').send(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expectErrorShape(response.body, 400);
      if (!('username' in body && typeof body.username === 'number'))
        expect(messageOf(response.body)).toContain('send exactly one of email and username');
    }
    const wrong = await test.http.post('/api/v1/auth/login').send({ username, password: 'not the password' });
    const unknown = await test.http.post('/api/v1/auth/login').send({ username: uniqueUsername(), password: PASSWORD });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
  });

  it.each([
    ['ab', /3 to 32 characters/],
    ['a'.repeat(33), /3 to 32 characters/],
    ['has space', /only letters, digits/],
    ['semi;colon', /only letters, digits/],
    ['ada@example.com', /must not be an email address/],
    ['Admin', /reserved/],
    ['ＲＯＯＴ', /reserved/],
  ])('should refuse the username %j at registration with a 400 that says why', async (username, message) => {
    const response = await test.http.post('/api/v1/auth/register').send({ username, password: PASSWORD });

    expect(response.status).toBe(400);
    expectErrorShape(response.body, 400);
    expect(messageOf(response.body)).toMatch(message);
  });

  it('should keep letters of any script, and refuse a password that holds the username', async () => {
    const username = `Zoë_${uniqueUsername('x').slice(1, 7)}`;
    const created = await test.http.post('/api/v1/auth/register').send({ username, password: PASSWORD });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.user.username).toBe(username);

    const other = uniqueUsername('Grace');
    const refused = await test.http.post('/api/v1/auth/register').send({ username: other, password: `my ${other} 2026` });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('password_policy');
    expect(messageOf(refused.body)).toMatch(/must not be or contain your username/);
    expect((await test.http.post('/api/v1/auth/register').send({ password: PASSWORD })).status).toBe(400);
  });

  it('should settle 50 parallel registrations of one username in different cases with one 201 and 409s', async () => {
    const base = uniqueUsername('race');
    const spellings = Array.from({ length: 50 }, (_, i) =>
      [...base].map((c, j) => ((i >> (j % 6)) & 1 ? c.toUpperCase() : c.toLowerCase())).join(''),
    );

    const responses = await Promise.all(
      spellings.map((username) => test.http.post('/api/v1/auth/register').send({ username, password: PASSWORD })),
    );

    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(49);
    for (const refused of responses.filter((response) => response.status === 409)) {
      expect(refused.body.code).toBe('username_taken');
    }
  });

  it('should let a user change the username, freeing the old one at once, and refuse one taken in another case', async () => {
    const first = uniqueUsername('old');
    const renamed = uniqueUsername('new');
    const owner = await test.http.post('/api/v1/auth/register').send({ username: first, password: PASSWORD }).expect(201);
    const token = owner.body.accessToken as string;
    const other = uniqueUsername('taken');
    await test.http.post('/api/v1/auth/register').send({ username: other, password: PASSWORD }).expect(201);

    const taken = await test.http.patch('/api/v1/users/me').set(bearer(token)).send({ username: other.toUpperCase() });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('username_taken');

    const changed = await test.http.patch('/api/v1/users/me').set(bearer(token)).send({ username: renamed });
    expect(changed.status).toBe(200);
    expect(changed.body.username).toBe(renamed);
    expect((await test.http.post('/api/v1/auth/login').send({ username: first, password: PASSWORD })).status).toBe(401);
    expect((await test.http.post('/api/v1/auth/login').send({ username: renamed, password: PASSWORD })).status).toBe(200);
    await test.http.post('/api/v1/auth/register').send({ username: first, password: PASSWORD }).expect(201);

    const removed = await test.http.patch('/api/v1/users/me').set(bearer(token)).send({ username: null });
    expect(removed.status).toBe(409);
    expect(removed.body.code).toBe('username_required');
    expect((await test.http.patch('/api/v1/users/me').set(bearer(token)).send({})).status).toBe(400);
  });

  it('should let an account with an email drop its username, and audit each change', async () => {
    const { accessToken, user } = await registerUser(test);
    const admin = await login(test, ADMIN_EMAIL, ADMIN_PASSWORD);
    const username = uniqueUsername('drop');

    await test.http.patch('/api/v1/users/me').set(bearer(accessToken)).send({ username }).expect(200);
    const dropped = await test.http.patch('/api/v1/users/me').set(bearer(accessToken)).send({ username: null });

    expect(dropped.status).toBe(200);
    expect(dropped.body.username).toBeNull();
    const events = await test.http.get(`/api/v1/users/${user.id}/events`).set(bearer(admin.accessToken));
    const changes = (events.body.items as Array<{ type: string; detail: unknown }>).filter((e) => e.type === 'username_changed');
    expect(changes.map((change) => change.detail)).toEqual([{ removed: true }, { removed: false }]);
  });

  it('should let admins find users by username, whatever its case, and show it', async () => {
    const admin: TokenBody = await login(test, ADMIN_EMAIL, ADMIN_PASSWORD);
    const username = uniqueUsername('Findme');
    await test.http.post('/api/v1/auth/register').send({ username, password: PASSWORD }).expect(201);

    const found = await test.http
      .get('/api/v1/users')
      .query({ search: username.slice(2).toUpperCase() })
      .set(bearer(admin.accessToken));

    expect(found.status).toBe(200);
    expect(found.body.items).toEqual([expect.objectContaining({ username, email: null })]);
  });
});

describe('usernames with REQUIRE_EMAIL (e2e)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({ env: { REQUIRE_EMAIL: 'true' } });
  });

  afterAll(async () => {
    await test?.close();
  });

  it('should refuse a username alone, and take a username with an email', async () => {
    const alone = await test.http.post('/api/v1/auth/register').send({ username: uniqueUsername(), password: PASSWORD });
    expect(alone.status).toBe(400);
    expect(messageOf(alone.body)).toMatch(/email is required/);

    const both = await test.http
      .post('/api/v1/auth/register')
      .send({ username: uniqueUsername(), email: uniqueEmail(), password: PASSWORD });
    expect(both.status).toBe(201);
  });
});

describe('one lockout for both identifiers of an account (e2e)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({
      env: {
        RATE_LIMIT: 'on',
        RATE_LIMIT_LOGIN_IP: '100/1m',
        RATE_LIMIT_LOGIN_ACCOUNT: '100/1m',
        LOCKOUT_THRESHOLD: '3',
      },
    });
  });

  afterAll(async () => {
    await test?.close();
  });

  it('should count wrong passwords by email and by username together, and lock both', async () => {
    const email = uniqueEmail();
    const username = uniqueUsername('Lock');
    await test.http.post('/api/v1/auth/register').send({ email, username, password: PASSWORD }).expect(201);
    const attempt = (identifier: object, password = 'wrong password') =>
      test.http.post('/api/v1/auth/login').send({ ...identifier, password });

    expect((await attempt({ email })).status).toBe(401);
    expect((await attempt({ username: username.toLowerCase() })).status).toBe(401);
    expect((await attempt({ email })).status).toBe(401);

    const byUsername = await attempt({ username }, PASSWORD);
    expect(byUsername.status).toBe(429);
    expect(byUsername.body.code).toBe('account_locked');
    expect((await attempt({ email }, PASSWORD)).status).toBe(429);
  });

  it('should lock an unknown username as fast as a known one', async () => {
    const username = uniqueUsername('Ghost');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await test.http.post('/api/v1/auth/login').send({ username, password: 'x' })).status);

    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });
});
