import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Logger } from '@nestjs/common';
import passport from 'passport';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS, runCli } from '../src/cli/run-cli.js';
import { bearer, login, PASSWORD, registerUser, uniqueEmail } from './support/factories.js';
import { buildInto } from './support/build.js';
import {
  applyEnv,
  createTestDatabase,
  startTestApp,
  TEST_APP_URL,
  TEST_JWT_SECRET,
  type TestApp,
  type TestDatabase,
} from './support/test-app.js';

/** The name the audit events must carry, as the command line works it out. */
const OPERATOR = process.env.SUDO_USER || userInfo().username;
const EMBEDDED = !process.env.DATABASE_URL;
const CONFIGURED_CLIENT = { id: 'env-client', secret: randomBytes(32).toString('hex') };

interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** The environment a command runs with: the test app's, as an operator's shell beside the service would have it. */
function cliEnv(database: TestDatabase, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    BCRYPT_COST: '4',
    DATA_DIR: database.dataDir,
    DATABASE_URL: database.url,
    APP_URL: TEST_APP_URL,
    INTROSPECTION_CLIENTS: `${CONFIGURED_CLIENT.id}:${CONFIGURED_CLIENT.secret}`,
    RATE_LIMIT: 'off',
    REDIS_URL: undefined,
    ADMIN_EMAIL: undefined,
    ADMIN_PASSWORD: undefined,
    JWT_ALGORITHM: undefined,
    SMTP_URL: undefined,
    MAIL_TRANSPORT: undefined,
    ...extra,
  };
}

/** Passport's registry of strategies, one per process: the command's context registers its own in it. */
const passportRegistry = passport as unknown as { _strategies: Record<string, unknown> };

/**
 * The command runner, in this process (the spawned entry has its own tests below). A command runs in
 * a process of its own in production; here it shares two process-wide registries with the test app,
 * put back afterwards: Passport's strategies (its context's would answer for the app's, over a closed
 * context) and Nest's logger levels (it runs without a logger).
 */
async function runInProcess(argv: string[], env: Record<string, string | undefined>, stdin = ''): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const restore = applyEnv(env);
  const strategies = { ...passportRegistry._strategies };
  try {
    const code = await runCli(argv, {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      stdin: Readable.from([stdin]),
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    restore();
    passportRegistry._strategies = strategies;
    Logger.overrideLogger(['error']);
  }
}

/** Basic credentials as RFC 6749 §2.3.1 has them (the ids and secrets here need no encoding). */
const basic = (id: string, secret: string) => ({ Authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });

describe('the admin command line (e2e)', () => {
  let database: TestDatabase;
  let test: TestApp;
  const appEnv = { INTROSPECTION_CLIENTS: `${CONFIGURED_CLIENT.id}:${CONFIGURED_CLIENT.secret}` };

  /**
   * Runs a command beside the running service on a Postgres server; on embedded storage the service
   * is stopped around it, as the README says (one process uses a data folder at a time).
   */
  async function cli(argv: string[], stdin = '', extraEnv: Record<string, string | undefined> = {}): Promise<CliRun> {
    if (!EMBEDDED) return runInProcess(argv, cliEnv(database, extraEnv), stdin);
    await test.close();
    try {
      return await runInProcess(argv, cliEnv(database, extraEnv), stdin);
    } finally {
      test = await startTestApp({ database, env: appEnv });
    }
  }

  const auditEvents = (type: string, userId?: string) =>
    test.app
      .get(DataSource)
      .query<Array<{ user_id: string | null; detail: Record<string, unknown> }>>(
        'SELECT user_id, detail FROM audit_events WHERE type = $1 AND ($2::uuid IS NULL OR user_id = $2) ORDER BY created_at',
        [type, userId ?? null],
      );

  const expectOperatorDetail = (detail: Record<string, unknown> | undefined) =>
    expect(detail).toMatchObject({ channel: 'cli', operator: OPERATOR });

  beforeAll(async () => {
    database = await createTestDatabase();
    test = await startTestApp({ database, env: appEnv });
  });

  afterAll(async () => {
    await test?.close();
    await database?.drop();
  });

  describe('users:create-admin', () => {
    it('should create an account with the admin role that logs in and reaches an admin route, audited as the operator', async () => {
      const email = uniqueEmail('admin');

      const run = await cli(['users:create-admin', `  ${email.toUpperCase()} `, '--name', 'Ops'], 'a long admin password\n');

      expect(run, run.err).toMatchObject({ code: 0, err: '' });
      expect(run.out).toMatch(new RegExp(`^created admin ${email} \\([0-9a-f-]{36}\\)$`));
      const tokens = await login(test, email, 'a long admin password');
      expect(tokens.user).toMatchObject({ email, name: 'Ops', roles: ['user', 'admin'] });
      await test.http.get('/api/v1/users').set(bearer(tokens.accessToken)).expect(200);
      const [event] = await auditEvents('account_created', tokens.user.id);
      expectOperatorDetail(event?.detail);
      expect(event.detail.roles).toEqual(['user', 'admin']);
    });

    it('should refuse what registration refuses, in one line, creating nothing', async () => {
      const email = uniqueEmail('weak');

      const common = await cli(['users:create-admin', email], 'password\n');
      const badEmail = await cli(['users:create-admin', 'not-an-email'], 'a long admin password\n');
      const noPassword = await cli(['users:create-admin', email], '');
      const taken = await cli(['users:create-admin', (await registerUser(test)).email], 'a long admin password\n');

      expect(common).toMatchObject({
        code: 1,
        out: '',
        err: 'error: password is too common: it is on a list of the most used passwords',
      });
      expect(badEmail).toMatchObject({ code: 1, err: 'error: email must be a valid email address' });
      expect(noPassword).toMatchObject({ code: 1, err: expect.stringMatching(/^error: Password: nothing on standard input/) });
      expect(taken).toMatchObject({ code: 1, err: 'error: Email is already registered' });
      await test.http.post('/api/v1/auth/login').send({ email, password: 'password' }).expect(401);
    });
  });

  it('users:reset-password should print a one-time link on APP_URL that resets the password', async () => {
    const user = await registerUser(test);

    const run = await cli(['users:reset-password', user.email]);

    expect(run, run.err).toMatchObject({ code: 0, err: '' });
    const link = new URL(run.out);
    expect(`${link.origin}${link.pathname}`).toBe(`${TEST_APP_URL}/reset-password`);
    const token = link.searchParams.get('token')!;
    await test.http.post('/api/v1/auth/password/reset').send({ token, newPassword: 'a brand new password' }).expect(204);
    await login(test, user.email, 'a brand new password');
    await test.http.post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD }).expect(401);
    await test.http.post('/api/v1/auth/password/reset').send({ token, newPassword: 'yet another password' }).expect(400);
    const [event] = await auditEvents('password_reset_requested', user.user.id);
    expectOperatorDetail(event?.detail);
  });

  it('users:end-sessions should end every session: the old refresh token fails, and so does the access token', async () => {
    const user = await registerUser(test);
    await test.http.get('/api/v1/auth/me').set(bearer(user.accessToken)).expect(200);

    const run = await cli(['users:end-sessions', user.user.id]);

    expect(run, run.err).toMatchObject({ code: 0, out: `ended 1 session(s) of ${user.email}` });
    await test.http.post('/api/v1/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401);
    // Another process ended them: the service hears it through the database (NOTIFY), so poll.
    await expect
      .poll(async () => (await test.http.get('/api/v1/auth/me').set(bearer(user.accessToken))).status, { timeout: 10_000 })
      .toBe(401);
    const [event] = await auditEvents('sessions_ended', user.user.id);
    expectOperatorDetail(event?.detail);
    expect(event.detail.sessions).toBe(1);
  });

  it('users:disable should refuse login and users:enable restore it, each audited as the operator', async () => {
    const user = await registerUser(test);

    const disabled = await cli(['users:disable', user.email]);

    expect(disabled).toMatchObject({ code: 0, out: `disabled ${user.email}` });
    const refused = await test.http.post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('account_disabled');
    await test.http.post('/api/v1/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401);

    const enabled = await cli(['users:enable', user.user.id]);

    expect(enabled).toMatchObject({ code: 0, out: `enabled ${user.email}` });
    await login(test, user.email);
    expectOperatorDetail((await auditEvents('account_disabled', user.user.id))[0]?.detail);
    expectOperatorDetail((await auditEvents('account_enabled', user.user.id))[0]?.detail);
  });

  it('keys:rotate should publish a new key in /.well-known/jwks.json, audited as the operator', async () => {
    const kids = async () =>
      ((await test.http.get('/.well-known/jwks.json')).body.keys as Array<{ kid: string }>).map((key) => key.kid);
    const before = await kids();

    const run = await cli(['keys:rotate']);

    expect(run, run.err).toMatchObject({ code: 0, err: '' });
    const kid = /^new: (\S+) {2}/.exec(run.out)?.[1];
    expect(kid).toBeDefined();
    expect(before).not.toContain(kid);
    // On a server the service hears of the new key through the database (NOTIFY): poll.
    await expect.poll(kids, { timeout: 10_000 }).toContain(kid);
    const events = await auditEvents('signing_key_created');
    const event = events.find((candidate) => candidate.detail.kid === kid);
    expectOperatorDetail(event?.detail);
  });

  it('clients:add should print a secret that introspects at once; clients:remove should end it with 401', async () => {
    const user = await registerUser(test);
    const introspect = (headers: Record<string, string>) =>
      test.http.post('/api/v1/oauth/introspect').set(headers).type('form').send({ token: user.accessToken });

    const added = await cli(['clients:add', 'reports']);

    expect(added, added.err).toMatchObject({ code: 0, err: '' });
    const secret = /secret, shown this once: (\S+)$/.exec(added.out)?.[1] ?? '';
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const answer = await introspect(basic('reports', secret)).expect(200);
    expect(answer.body).toMatchObject({ active: true, sub: user.user.id });
    await introspect(basic('reports', `${secret.slice(0, -1)}x`)).expect(401);

    const listed = await cli(['clients:list']);
    expect(listed.out.split('\n')).toEqual([
      `${CONFIGURED_CLIENT.id}  config`,
      expect.stringMatching(/^reports {2}database {2}added \d{4}-/),
    ]);

    const configured = await cli(['clients:remove', CONFIGURED_CLIENT.id]);
    expect(configured).toMatchObject({
      code: 1,
      err: expect.stringMatching(/^error: env-client is configured in INTROSPECTION_CLIENTS/),
    });

    const removed = await cli(['clients:remove', 'reports']);

    expect(removed).toMatchObject({ code: 0, out: 'removed introspection client reports' });
    await introspect(basic('reports', secret)).expect(401);
    await introspect(basic(CONFIGURED_CLIENT.id, CONFIGURED_CLIENT.secret)).expect(200);
    const [addedEvent] = await auditEvents('introspection_client_added');
    const [removedEvent] = await auditEvents('introspection_client_removed');
    expect(addedEvent?.detail).toMatchObject({ clientId: 'reports', channel: 'cli', operator: OPERATOR });
    expect(removedEvent?.detail).toMatchObject({ clientId: 'reports', channel: 'cli', operator: OPERATOR });
  });

  it('purge should delete what is past its retention, keep the rest, and be audited as the operator', async () => {
    const old = await registerUser(test);
    const recent = await registerUser(test);
    await test.app
      .get(DataSource)
      .query(`UPDATE sessions SET revoked_at = now() - interval '40 days', revoked_reason = 'logout' WHERE user_id = $1`, [
        old.user.id,
      ]);
    await test.app
      .get(DataSource)
      .query(`UPDATE sessions SET revoked_at = now() - interval '1 day', revoked_reason = 'logout' WHERE user_id = $1`, [
        recent.user.id,
      ]);
    const sessionsOf = async (userId: string) =>
      Number(
        (
          await test.app.get(DataSource).query<[{ n: string }]>('SELECT count(*) AS n FROM sessions WHERE user_id = $1', [userId])
        )[0].n,
      );

    const run = await cli(['purge']);

    expect(run, run.err).toMatchObject({ code: 0, err: '' });
    expect(run.out).toMatch(/^purged in \d+ ms: deleted 1 sessions, \d+ one-time tokens, 0 login challenges, 0 audit events$/);
    expect(await sessionsOf(old.user.id)).toBe(0);
    expect(await sessionsOf(recent.user.id)).toBe(1);
    const [event] = await auditEvents('retention_purge');
    expectOperatorDetail(event?.detail);
    expect(event?.detail).toMatchObject({ status: 'done', sessions: 1, auditEvents: 0 });
  });

  it('migrations:status should list every migration as applied', async () => {
    const run = await cli(['migrations:status']);

    expect(run, run.err).toMatchObject({ code: 0, err: '' });
    const lines = run.out.split('\n');
    expect(lines).toContain('applied  InitialSchema1763800000000');
    expect(lines).toContain('applied  IntrospectionClients1764600000000');
    expect(lines.filter((line) => line.startsWith('pending'))).toEqual([]);
    expect(lines.at(-1)).toMatch(/^up to date: \d+ applied$/);
  });

  it('users:unlock without REDIS_URL should say plainly that it cannot reach the service’s memory, and fail', async () => {
    const user = await registerUser(test);

    const run = await cli(['users:unlock', user.email]);

    expect(run.code).toBe(1);
    expect(run.err).toMatch(
      /^error: REDIS_URL is not set: each instance keeps its login lockouts in its own memory, which this separate process cannot reach/,
    );
    expect(await auditEvents('account_unlocked', user.user.id)).toEqual([]);
  });

  it('should name an unknown user, a bad call or an unknown command in one line, with exit 1 or 2', async () => {
    const nobody = await cli(['users:disable', 'Nobody@Example.com']);
    const noId = await cli(['users:end-sessions', '00000000-0000-4000-8000-000000000000']);
    const missing = await runInProcess(['users:disable'], cliEnv(database));
    const extra = await runInProcess(['keys:rotate', '--later'], cliEnv(database));
    const unknown = await runInProcess(['users:delete-everything'], cliEnv(database));

    expect(nobody).toEqual({ code: 1, out: '', err: 'error: no user with email nobody@example.com' });
    expect(noId).toEqual({ code: 1, out: '', err: 'error: no user with id 00000000-0000-4000-8000-000000000000' });
    expect(missing).toEqual({ code: 2, out: '', err: 'error: users:disable: takes <email-or-id> (see --help)' });
    expect(extra).toEqual({ code: 2, out: '', err: 'error: keys:rotate: unknown option --later (see --help)' });
    expect(unknown).toEqual({ code: 2, out: '', err: 'error: unknown command users:delete-everything (see --help)' });
  });

  // The lockout is shared through Redis only: that is what a separate process can clear.
  describe.runIf(process.env.REDIS_URL && process.env.DATABASE_URL)('users:unlock with Redis', () => {
    it('should let a locked-out account log in again', async () => {
      const lockEnv = {
        RATE_LIMIT: 'on',
        REDIS_URL: process.env.REDIS_URL,
        REDIS_PREFIX: `cli-${randomBytes(4).toString('hex')}:`,
        LOCKOUT_THRESHOLD: '2',
        LOCKOUT_BASE: '1h',
        LOCKOUT_MAX: '1h',
      };
      const guarded = await startTestApp({ database, env: { ...appEnv, ...lockEnv } });
      try {
        const user = await registerUser(guarded);
        for (let i = 0; i < 2; i++)
          await guarded.http.post('/api/v1/auth/login').send({ email: user.email, password: 'wrong password' }).expect(401);
        const locked = await guarded.http.post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD });
        expect(locked.status).toBe(429);
        expect(locked.body.code).toBe('account_locked');

        const run = await runInProcess(['users:unlock', user.email], cliEnv(database, lockEnv));

        expect(run, run.err).toEqual({ code: 0, out: `unlocked ${user.email}`, err: '' });
        await guarded.http.post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD }).expect(200);
        const [event] = await auditEvents('account_unlocked', user.user.id);
        expectOperatorDetail(event?.detail);
        expect(event.detail.hadFailedAttempts).toBe(true);
      } finally {
        await guarded.close();
      }
    });
  });
});

/** `node dist/cli.js` as an operator runs it, built without type checks (that is `npm run check`'s job). */
const BUILD = join(import.meta.dirname, 'artifacts', `cli-${randomBytes(4).toString('hex')}`);

function spawnCli(argv: string[], env: Record<string, string | undefined>, stdin = ''): Promise<CliRun & { ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [join(BUILD, 'cli.js'), ...argv], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  child.stdin.end(stdin);
  return new Promise((resolve) =>
    child.once('close', (code) =>
      resolve({ code: code ?? -1, out: out.trimEnd(), err: err.trimEnd(), ms: Date.now() - started }),
    ),
  );
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the built command line, dist/cli.js (e2e)', () => {
  beforeAll(async () => {
    await buildInto(BUILD);
  });

  afterAll(() => {
    rmSync(BUILD, { recursive: true, force: true });
  });

  it('should list every command with --help, and exit 0', async () => {
    const run = await spawnCli(['--help'], {});

    expect(run.code).toBe(0);
    for (const command of COMMANDS) expect(run.out).toContain(`  ${command.name}`);
  });

  it('should refuse a database that is behind, then create an admin from a piped password once it is migrated', async () => {
    const database = await createTestDatabase();
    try {
      const behind = await spawnCli(['users:disable', 'someone@example.com'], cliEnv(database));
      expect(behind.code).toBe(1);
      expect(behind.err.split('\n')).toHaveLength(1);
      expect(behind.err).toMatch(
        /^error: the database is behind this version: \d+ migration\(s\) pending \(InitialSchema.*npm run migration:run/,
      );
      const status = await spawnCli(['migrations:status'], cliEnv(database));
      expect(status.code).toBe(0);
      expect(status.out.split('\n')).toContain('pending  InitialSchema1763800000000');

      // The service migrates at start; on embedded storage it must stop before a command can use the folder.
      let app = await startTestApp({ database });
      if (EMBEDDED) {
        const busy = await spawnCli(['clients:list'], cliEnv(database));
        expect(busy).toMatchObject({
          code: 1,
          err: expect.stringMatching(/^error: The embedded database in .* is in use by another process/),
        });
        await app.close();
      }
      const email = uniqueEmail('first-admin');

      const created = await spawnCli(['users:create-admin', email], cliEnv(database), 'a long admin password\n');

      expect(created, created.err).toMatchObject({ code: 0, err: '' });
      expect(created.out).toMatch(/^created admin /);
      if (EMBEDDED) app = await startTestApp({ database });
      try {
        const tokens = await login(app, email, 'a long admin password');
        expect(tokens.user.roles).toContain('admin');
      } finally {
        await app.close();
      }
    } finally {
      await database.drop();
    }
    // Four runs of the built entry, each loading the whole service, and a start of the service between.
  }, 180_000);

  it('should fail in one line, without a stack, when the database cannot be reached', async () => {
    const port = await freePort();
    const database = await createTestDatabase({ embedded: true });
    try {
      const run = await spawnCli(
        ['clients:list'],
        cliEnv(database, { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/nowhere` }),
      );

      expect(run.code).toBe(1);
      expect(run.out).toBe('');
      expect(run.err.split('\n')).toHaveLength(1);
      expect(run.err).toMatch(/^error: cannot use the database \(.*ECONNREFUSED.*\): check DATABASE_URL/);
      expect(run.err).not.toMatch(/\bat .+\.(js|ts):\d+/);
    } finally {
      await database.drop();
    }
  });
});
