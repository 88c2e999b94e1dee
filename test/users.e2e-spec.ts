import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectErrorShape, login, registerUser, uniqueEmail, type TokenBody } from './support/factories.js';
import { createTestDatabase, startTestApp, type TestApp } from './support/test-app.js';

const ADMIN_EMAIL = 'root@example.com';
const ADMIN_PASSWORD = 'an admin password';

interface UserBody {
  id: string;
  email: string;
  name: string | null;
  roles: string[];
}

describe('users administration (e2e)', () => {
  let test: TestApp;
  let admin: TokenBody;

  beforeAll(async () => {
    test = await startTestApp({ env: { ADMIN_EMAIL: ` ${ADMIN_EMAIL.toUpperCase()} `, ADMIN_PASSWORD } });
    admin = await login(test, ADMIN_EMAIL, ADMIN_PASSWORD);
  });

  afterAll(async () => {
    await test?.close();
  });

  it('should create the configured admin account at boot', () => {
    expect(admin.user).toMatchObject({ email: ADMIN_EMAIL, roles: ['user', 'admin'] });
  });

  it('should refuse the admin routes to a user without the admin role (403) and to anonymous callers (401)', async () => {
    const { accessToken, user } = await registerUser(test);

    for (const call of [
      test.http.get('/api/v1/users'),
      test.http.get(`/api/v1/users/${user.id}`),
      test.http.patch(`/api/v1/users/${user.id}`).send({ name: 'x' }),
      test.http.delete(`/api/v1/users/${user.id}`),
    ]) {
      const response = await call.set(bearer(accessToken));
      expect(response.status).toBe(403);
      expectErrorShape(response.body, 403);
    }
    expect((await test.http.get('/api/v1/users')).status).toBe(401);
  });

  describe('GET /api/v1/users', () => {
    it('should page through users with a total', async () => {
      const tag = uniqueEmail('page').split('@')[0];
      for (let i = 0; i < 3; i++) await registerUser(test, { email: `${tag}-${i}@example.com` });

      const first = await test.http.get('/api/v1/users').query({ search: tag, limit: 2, page: 1 }).set(bearer(admin.accessToken));
      const second = await test.http
        .get('/api/v1/users')
        .query({ search: tag, limit: 2, page: 2 })
        .set(bearer(admin.accessToken));

      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ total: 3, totalExact: true, page: 1, limit: 2, nextCursor: expect.any(String) });
      expect(first.body.items).toHaveLength(2);
      expect(second.body.items).toHaveLength(1);
      expect(second.body.nextCursor).toBeNull();
      const emails = [...first.body.items, ...second.body.items].map((u: UserBody) => u.email).sort();
      expect(emails).toEqual([0, 1, 2].map((i) => `${tag}-${i}@example.com`));
      expect(JSON.stringify(first.body)).not.toMatch(/password|\$2[aby]\$/i);
    });

    it('should search by name, case-insensitively, and treat % and _ literally', async () => {
      const { user } = await registerUser(test, { name: 'Zelda 100%_Unique' });
      await registerUser(test, { name: 'Zelda 100xxUnique' });

      const response = await test.http.get('/api/v1/users').query({ search: 'zelda 100%_' }).set(bearer(admin.accessToken));

      expect(response.status).toBe(200);
      expect(response.body.items.map((u: UserBody) => u.id)).toEqual([user.id]);
    });

    it('should find a term in the email too, whatever its case', async () => {
      const tag = uniqueEmail('Casey').split('@')[0];
      const { user } = await registerUser(test, { email: `${tag}@example.com`, name: 'No Match Here' });

      const response = await test.http.get('/api/v1/users').query({ search: tag.toUpperCase() }).set(bearer(admin.accessToken));

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ total: 1, totalExact: true, nextCursor: null });
      expect(response.body.items.map((u: UserBody) => u.id)).toEqual([user.id]);
    });

    it('should walk every page by cursor, newest first, without a duplicate or a gap where created_at is equal', async () => {
      const tag = uniqueEmail('walk').split('@')[0];
      // Ten rows share one instant, two differ from it below the millisecond, the rest are a second apart.
      await test.app.get(DataSource).query(
        `INSERT INTO users (email, password_hash, created_at)
         SELECT $1 || '-' || i || '@example.com', 'x',
                CASE WHEN i <= 10 THEN timestamptz '2020-01-01 00:00:00.123456Z'
                     WHEN i = 11 THEN timestamptz '2020-01-01 00:00:00.123100Z'
                     WHEN i = 12 THEN timestamptz '2020-01-01 00:00:00.123900Z'
                     ELSE timestamptz '2020-01-01 00:00:00Z' + i * interval '1 second' END
         FROM generate_series(1, 17) AS i`,
        [tag],
      );
      const expected = await test.app
        .get(DataSource)
        .query<Array<{ id: string }>>(`SELECT id FROM users WHERE email LIKE $1 ORDER BY created_at DESC, id DESC`, [`${tag}-%`]);

      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const response = await test.http
          .get('/api/v1/users')
          .query({ search: tag, limit: 3, ...(cursor && { cursor }) })
          .set(bearer(admin.accessToken));
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ total: 17, totalExact: true });
        seen.push(...response.body.items.map((u: UserBody) => u.id));
        cursor = response.body.nextCursor ?? undefined;
        if (!cursor) break;
      }

      expect(expected).toHaveLength(17);
      expect(seen).toEqual(expected.map((row) => row.id));
    });

    it('should walk the whole list by cursor in the order of (created_at, id), newest first', async () => {
      const expected = await test.app
        .get(DataSource)
        .query<Array<{ id: string }>>('SELECT id FROM users ORDER BY created_at DESC, id DESC');

      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const response = await test.http
          .get('/api/v1/users')
          .query({ limit: 7, ...(cursor && { cursor }) })
          .set(bearer(admin.accessToken));
        expect(response.status).toBe(200);
        seen.push(...response.body.items.map((u: UserBody) => u.id));
        cursor = response.body.nextCursor ?? undefined;
      } while (cursor && seen.length <= expected.length);

      expect(seen).toEqual(expected.map((row) => row.id));
    });

    it.each([
      ['not base64url', 'not a cursor!'],
      ['not a key', Buffer.from('hello').toString('base64url')],
      ['a millisecond key', Buffer.from('2020-01-01T00:00:00.123Z,7f1d6f5e-2c1a-4a63-9a55-0e1c3f0b2d41').toString('base64url')],
      [
        'a day that does not exist',
        Buffer.from('2020-02-30T00:00:00.000000Z,7f1d6f5e-2c1a-4a63-9a55-0e1c3f0b2d41').toString('base64url'),
      ],
      ['padded', `${Buffer.from('2020-01-01T00:00:00.000000Z,7f1d6f5e-2c1a-4a63-9a55-0e1c3f0b2d41').toString('base64url')}=`],
    ])('should answer 400 cursor_invalid for a cursor that is %s', async (_case, cursor) => {
      const response = await test.http.get('/api/v1/users').query({ cursor }).set(bearer(admin.accessToken));

      expect(response.status).toBe(400);
      expectErrorShape(response.body, 400);
      expect(response.body).toMatchObject({ code: 'cursor_invalid', message: expect.stringContaining('cursor') });
    });

    it('should refuse a cursor with a page, and a page past the first 5000 users (400)', async () => {
      const first = await test.http.get('/api/v1/users').query({ limit: 1 }).set(bearer(admin.accessToken));
      const withPage = await test.http
        .get('/api/v1/users')
        .query({ cursor: first.body.nextCursor, page: 2 })
        .set(bearer(admin.accessToken));
      const deepest = await test.http.get('/api/v1/users').query({ page: 251, limit: 20 }).set(bearer(admin.accessToken));
      const tooDeep = await test.http.get('/api/v1/users').query({ page: 252, limit: 20 }).set(bearer(admin.accessToken));

      expect(withPage.status).toBe(400);
      expect(withPage.body).toMatchObject({ code: 'validation_failed', message: ['cursor and page cannot be used together'] });
      expect(deepest.status).toBe(200);
      expect(tooDeep.status).toBe(400);
      expect(tooDeep.body).toMatchObject({ code: 'validation_failed', message: [expect.stringContaining('nextCursor')] });
    });

    it.each(['ab', ' ab ', '%%%', 'a.b.c'])(
      'should refuse the search %j: fewer than 3 letters or digits in a row (400)',
      async (search) => {
        const response = await test.http.get('/api/v1/users').query({ search }).set(bearer(admin.accessToken));

        expect(response.status).toBe(400);
        expect(response.body).toMatchObject({
          code: 'validation_failed',
          message: [expect.stringContaining('3 letters or digits')],
        });
      },
    );

    it('should treat an empty search as none', async () => {
      const response = await test.http.get('/api/v1/users').query({ search: '  ' }).set(bearer(admin.accessToken));
      const unfiltered = await test.http.get('/api/v1/users').set(bearer(admin.accessToken));

      expect(response.status).toBe(200);
      expect(response.body.total).toBe(unfiltered.body.total);
      expect(response.body.items).toEqual(unfiltered.body.items);
    });

    it('should count a search exactly up to 100 matches, then say the total is not exact', async () => {
      const tag = uniqueEmail('many').split('@')[0];
      const insert = (from: number, to: number) =>
        test.app
          .get(DataSource)
          .query(
            `INSERT INTO users (email, password_hash) SELECT $1 || '-' || i || '@example.com', 'x' FROM generate_series($2::int, $3::int) AS i`,
            [tag, from, to],
          );
      await insert(1, 100);
      const hundred = await test.http.get('/api/v1/users').query({ search: tag }).set(bearer(admin.accessToken));
      await insert(101, 130);
      const more = await test.http.get('/api/v1/users').query({ search: tag }).set(bearer(admin.accessToken));

      expect(hundred.body).toMatchObject({ total: 100, totalExact: true });
      expect(more.body).toMatchObject({ total: 101, totalExact: false });
    });

    it('should count the whole list exactly up to 1000 users, then estimate it', async () => {
      const count = async () => Number((await test.app.get(DataSource).query('SELECT count(*) AS n FROM users'))[0].n);
      const small = await test.http.get('/api/v1/users').set(bearer(admin.accessToken));
      expect(small.body).toMatchObject({ total: await count(), totalExact: true });

      await test.app
        .get(DataSource)
        .query(
          `INSERT INTO users (email, password_hash) SELECT 'bulk-' || i || '@example.com', 'x' FROM generate_series(1, 1000) AS i`,
        );
      const large = await test.http.get('/api/v1/users').set(bearer(admin.accessToken));

      expect(large.status).toBe(200);
      expect(large.body.totalExact).toBe(false);
      expect(large.body.total).toBeGreaterThan(1000);
    });

    it('should default to page 1 of 20', async () => {
      const response = await test.http.get('/api/v1/users').set(bearer(admin.accessToken));

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ page: 1, limit: 20 });
    });

    it.each([{ limit: 101 }, { limit: 0 }, { page: 0 }, { page: 'two' }, { sort: 'email' }])(
      'should answer 400 for the query %j',
      async (query) => {
        const response = await test.http.get('/api/v1/users').query(query).set(bearer(admin.accessToken));

        expect(response.status).toBe(400);
        expectErrorShape(response.body, 400);
      },
    );
  });

  describe('GET /api/v1/users/:id', () => {
    it('should answer one user', async () => {
      const { user } = await registerUser(test);

      const response = await test.http.get(`/api/v1/users/${user.id}`).set(bearer(admin.accessToken));

      expect(response.status).toBe(200);
      expect(response.body).toEqual(user);
    });

    it('should answer 404 for an unknown id and 400 for a malformed one', async () => {
      const missing = await test.http.get('/api/v1/users/00000000-0000-4000-8000-000000000000').set(bearer(admin.accessToken));
      const malformed = await test.http.get("/api/v1/users/1' OR '1'='1").set(bearer(admin.accessToken));

      expect(missing.status).toBe(404);
      expectErrorShape(missing.body, 404);
      expect(malformed.status).toBe(400);
    });
  });

  describe('PATCH /api/v1/users/:id', () => {
    it('should change roles, taking effect on the user’s very next request with the same token', async () => {
      const target = await registerUser(test);
      expect((await test.http.get('/api/v1/users').set(bearer(target.accessToken))).status).toBe(403);

      const promoted = await test.http
        .patch(`/api/v1/users/${target.user.id}`)
        .send({ roles: ['user', 'admin'] })
        .set(bearer(admin.accessToken));

      expect(promoted.status).toBe(200);
      expect(promoted.body.roles).toEqual(['user', 'admin']);
      expect((await test.http.get('/api/v1/users').set(bearer(target.accessToken))).status).toBe(200);

      await test.http
        .patch(`/api/v1/users/${target.user.id}`)
        .send({ roles: ['user'] })
        .set(bearer(admin.accessToken))
        .expect(200);
      expect((await test.http.get('/api/v1/users').set(bearer(target.accessToken))).status).toBe(403);
    });

    it('should change the name', async () => {
      const { user } = await registerUser(test);

      const response = await test.http
        .patch(`/api/v1/users/${user.id}`)
        .send({ name: '  New Name ' })
        .set(bearer(admin.accessToken));

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id: user.id, name: 'New Name' });
    });

    it.each([
      [{ roles: ['superuser'] }, 'each value in roles must be one of: user, admin'],
      [{ roles: [] }, 'roles should not be empty'],
      [{ roles: 'admin' }, 'roles must be an array'],
      [{ email: 'x@example.com' }, 'property email should not exist'],
      [{ passwordHash: 'x' }, 'property passwordHash should not exist'],
    ])('should answer 400 for %j', async (body, message) => {
      const { user } = await registerUser(test);

      const response = await test.http.patch(`/api/v1/users/${user.id}`).send(body).set(bearer(admin.accessToken));

      expect(response.status).toBe(400);
      expect(response.body.message).toContain(message);
    });

    it('should answer 404 for an unknown user', async () => {
      const response = await test.http
        .patch('/api/v1/users/00000000-0000-4000-8000-000000000000')
        .send({ name: 'x' })
        .set(bearer(admin.accessToken));

      expect(response.status).toBe(404);
    });

    it('should not let the last admin lose the admin role', async () => {
      const response = await test.http
        .patch(`/api/v1/users/${admin.user.id}`)
        .send({ roles: ['user'] })
        .set(bearer(admin.accessToken));

      expect(response.status).toBe(409);
      expectErrorShape(response.body, 409);
      expect((await test.http.get('/api/v1/users').set(bearer(admin.accessToken))).status).toBe(200);
    });
  });

  describe('DELETE /api/v1/users/:id', () => {
    it('should delete the user and end its sessions at once; the email can register again', async () => {
      const target = await registerUser(test);
      const other = await login(test, target.email);

      const response = await test.http.delete(`/api/v1/users/${target.user.id}`).set(bearer(admin.accessToken));

      expect(response.status).toBe(204);
      expect((await test.http.get('/api/v1/auth/me').set(bearer(target.accessToken))).status).toBe(401);
      expect((await test.http.post('/api/v1/auth/refresh').send({ refreshToken: other.refreshToken })).status).toBe(401);
      expect((await test.http.get(`/api/v1/users/${target.user.id}`).set(bearer(admin.accessToken))).status).toBe(404);
      expect((await test.http.post('/api/v1/auth/login').send({ email: target.email, password: target.password })).status).toBe(
        401,
      );
      await registerUser(test, { email: target.email });
    });

    it('should answer 404 for an unknown user', async () => {
      const response = await test.http
        .delete('/api/v1/users/00000000-0000-4000-8000-000000000000')
        .set(bearer(admin.accessToken));

      expect(response.status).toBe(404);
    });

    it('should settle concurrent demotions of the last two admins with one 200 and one 409, never a deadlock', async () => {
      const second = await registerUser(test);
      const third = await registerUser(test);
      for (const extra of [second, third]) {
        await test.http
          .patch(`/api/v1/users/${extra.user.id}`)
          .send({ roles: ['user', 'admin'] })
          .set(bearer(admin.accessToken))
          .expect(200);
      }
      await test.http
        .patch(`/api/v1/users/${third.user.id}`)
        .send({ roles: ['user'] })
        .set(bearer(admin.accessToken))
        .expect(200);

      const responses = await Promise.all(
        [admin.user.id, second.user.id].map((id) =>
          test.http
            .patch(`/api/v1/users/${id}`)
            .send({ roles: ['user'] })
            .set(bearer(third.accessToken)),
        ),
      );

      expect(responses.map((r) => r.status)).toEqual([403, 403]);
      const racing = await Promise.all(
        [admin.user.id, second.user.id].map((id) =>
          test.http
            .patch(`/api/v1/users/${id}`)
            .send({ roles: ['user'] })
            .set(bearer(second.accessToken)),
        ),
      );
      expect(racing.map((r) => r.status).sort()).toEqual([200, 409]);

      // Back to one admin, the original one, for the tests that follow.
      if (racing[0].status === 200) {
        await test.http
          .patch(`/api/v1/users/${admin.user.id}`)
          .send({ roles: ['user', 'admin'] })
          .set(bearer(second.accessToken))
          .expect(200);
        await test.http
          .patch(`/api/v1/users/${second.user.id}`)
          .send({ roles: ['user'] })
          .set(bearer(admin.accessToken))
          .expect(200);
      }
    });

    it('should not delete the last admin', async () => {
      const response = await test.http.delete(`/api/v1/users/${admin.user.id}`).set(bearer(admin.accessToken));

      expect(response.status).toBe(409);
    });
  });
});

describe('admin bootstrap on an existing account (e2e)', () => {
  const ADMIN = { email: uniqueEmail('later-admin'), password: 'the configured admin passphrase' };

  it('should promote an existing account only when it proved the address and has ADMIN_PASSWORD', async () => {
    const database = await createTestDatabase();
    try {
      const first = await startTestApp({ database });
      const { user } = await registerUser(first, ADMIN);
      await first.close();

      // Registered, not verified: it could be anyone who got there first.
      await expect(startTestApp({ database, env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } })).rejects.toThrow(
        /refusing to make it admin/,
      );

      const verifying = await startTestApp({ database });
      await verifying.app.get(DataSource).query('UPDATE users SET email_verified_at = now() WHERE id = $1', [user.id]);
      await verifying.close();

      await expect(
        startTestApp({ database, env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: 'some other passphrase' } }),
      ).rejects.toThrow(/refusing to make it admin/);

      const second = await startTestApp({ database, env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
      try {
        const session = await login(second, ADMIN.email, ADMIN.password);
        expect(session.user.roles).toEqual(['user', 'admin']);
      } finally {
        await second.close();
      }
    } finally {
      await database.drop();
    }
  });
});
