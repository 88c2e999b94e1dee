import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseNotifications, LISTENER_APPLICATION_NAME } from '../src/common/database/notifications.js';
import { SigningKeysService } from '../src/signing-keys/signing-keys.service.js';
import { bearer, login, PASSWORD, registerUser, type TokenBody } from './support/factories.js';
import { decodeJwt } from './support/jwt.js';
import { createTestDatabase, startTestApp, withAdminClient, type TestApp, type TestDatabase } from './support/test-app.js';

const ADMIN_EMAIL = 'root@example.com';
const ADMIN_PASSWORD = 'an admin password';

// Embedded storage serves one instance by construction; two share a database only on a Postgres server.
describe.skipIf(!process.env.DATABASE_URL)('two instances on one database (e2e, Postgres server)', () => {
  let database: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  let admin: TokenBody;
  let bListener: number;

  /** The backends of the instances' listening connections on this test's database. */
  const listeners = () =>
    withAdminClient(database.url!, async (client) => {
      const { rows } = await client.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1',
        [LISTENER_APPLICATION_NAME],
      );
      return rows.map(({ pid }) => pid);
    });
  const me = (app: TestApp, token: string) => app.http.get('/api/v1/auth/me').set(bearer(token));

  beforeAll(async () => {
    database = await createTestDatabase();
    // A minute of cache: within a test, only the notification can make B read the database again.
    const env = { AUTH_CACHE_TTL: '60', ADMIN_EMAIL, ADMIN_PASSWORD };
    a = await startTestApp({ database, env });
    const aListeners = await listeners();
    b = await startTestApp({ database, env });
    [bListener] = (await listeners()).filter((pid) => !aListeners.includes(pid));
    admin = await login(a, ADMIN_EMAIL, ADMIN_PASSWORD);
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await database?.drop();
  });

  it('should refuse on B a session logged out through A, as soon as A has committed', async () => {
    const { accessToken } = await registerUser(a);
    expect((await me(b, accessToken)).status).toBe(200);

    await a.http.post('/api/v1/auth/logout').set(bearer(accessToken)).expect(204);

    await expect.poll(async () => (await me(b, accessToken)).status, { timeout: 5_000 }).toBe(401);
  });

  it('should show on B the roles an admin changed through A', async () => {
    const target = await registerUser(a);
    expect((await me(b, target.accessToken)).body.roles).toEqual(['user']);

    await a.http
      .patch(`/api/v1/users/${target.user.id}`)
      .set(bearer(admin.accessToken))
      .send({ roles: ['user', 'admin'] })
      .expect(200);

    expect((await me(b, target.accessToken)).body.roles).toEqual(['user', 'admin']);
  });

  it('should refuse on B a user disabled through A', async () => {
    const target = await registerUser(a);
    expect((await me(b, target.accessToken)).status).toBe(200);

    await a.http.patch(`/api/v1/users/${target.user.id}`).set(bearer(admin.accessToken)).send({ disabled: true }).expect(200);

    await expect.poll(async () => (await me(b, target.accessToken)).status, { timeout: 5_000 }).toBe(401);
  });

  it('should end on B the other sessions of a user whose password changed through A', async () => {
    const { email, accessToken } = await registerUser(a);
    const other = await login(b, email);
    expect((await me(b, other.accessToken)).status).toBe(200);
    expect((await me(b, accessToken)).status).toBe(200);

    await a.http
      .post('/api/v1/auth/password/change')
      .set(bearer(accessToken))
      .send({ currentPassword: PASSWORD, newPassword: 'a brand new passphrase' })
      .expect(204);

    await expect.poll(async () => (await me(b, other.accessToken)).status, { timeout: 5_000 }).toBe(401);
    expect((await me(b, accessToken)).status).toBe(200);
  });

  it('should drop its cache when its listening connection is lost, and hear A again once it is back', async () => {
    const quiet = await registerUser(a);
    expect((await me(b, quiet.accessToken)).status).toBe(200);
    // Ended behind the service's back, with no notification: B answers from its cache, as it may for a minute.
    await withAdminClient(database.url!, (client) =>
      client.query(`UPDATE sessions SET revoked_at = now(), revoked_reason = 'logout' WHERE user_id = $1`, [quiet.user.id]),
    );
    expect((await me(b, quiet.accessToken)).status).toBe(200);

    await withAdminClient(database.url!, (client) => client.query('SELECT pg_terminate_backend($1)', [bListener]));
    await expect.poll(async () => (await listeners()).filter((pid) => pid !== bListener).length, { timeout: 10_000 }).toBe(2);
    await expect.poll(() => b.app.get(DatabaseNotifications).connected, { timeout: 10_000 }).toBe(true);

    expect((await me(b, quiet.accessToken)).status).toBe(401);
    const { accessToken } = await registerUser(a);
    expect((await me(b, accessToken)).status).toBe(200);
    await a.http.post('/api/v1/auth/logout').set(bearer(accessToken)).expect(204);
    // What this test checks is that B hears A again; how soon is the other tests' business. A waits at
    // most 250 ms for its own echo, and on a loaded machine B's backend may deliver a moment later.
    await expect.poll(async () => (await me(b, accessToken)).status, { timeout: 5_000 }).toBe(401);
  });

  it('should refuse on B at once the tokens of a key revoked through A, though B verified and remembered them', async () => {
    const user = await registerUser(a);
    expect((await me(b, user.accessToken)).status).toBe(200);
    const leaked = decodeJwt(user.accessToken).header.kid as string;

    await a.http.post(`/api/v1/signing-keys/${leaked}/revoke`).set(bearer(admin.accessToken)).expect(204);

    await expect.poll(async () => (await me(b, user.accessToken)).status, { timeout: 5_000 }).toBe(401);
    // B signs with the key A made in its place, at once.
    const fromB = await login(b, user.email);
    expect(decodeJwt(fromB.accessToken).header.kid).not.toBe(leaked);
    expect(decodeJwt(fromB.accessToken).header.kid).toBe(b.app.get(SigningKeysService).signer().kid);
    expect(a.app.get(SigningKeysService).signer().kid).toBe(b.app.get(SigningKeysService).signer().kid);
  });
});
