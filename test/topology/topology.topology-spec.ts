import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Child,
  findNginx,
  freePort,
  randomSuffix,
  send,
  startApp,
  startNginx,
  waitForHealth,
  writeNginxConfig,
  type Answer,
} from './topology.js';

/**
 * docker-compose.yml's topology without Docker: two production instances of the built service on
 * one Postgres database and one Redis, behind nginx with the shared config of deploy/nginx/.
 */
const SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PASSWORD = 'topology horse battery staple';
/** README "Security": from the 5th password check on, the account is locked; login is 10/1m per account. */
const LOCKOUT_THRESHOLD = 5;
const LOGIN_ACCOUNT_LIMIT = 10;

const run = randomSuffix();
const database = `auth_topology_${Date.now()}_${run}`;
const redisPrefix = `topology-${run}:`;
let dir: string;
let databaseCreated = false;
const children: Child[] = [];
let appA: Child;
let appB: Child;
let nginx: Child;
let a: string;
let b: string;
let proxy: string;
let failed = false;

async function onServer<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Which app served an answer that came through the proxy (nginx's X-Upstream, last try first). */
function servedBy(answer: Answer): string {
  const tried = String(answer.headers['x-upstream'] ?? '').split(', ');
  const port = tried[tried.length - 1].split(':').pop();
  return port === new URL(a).port ? 'A' : port === new URL(b).port ? 'B' : `none (${tried.join(', ')})`;
}

const email = (name: string) => `${name}-${run}@example.com`;

describe('two instances behind nginx (topology)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'auth-topology-'));
    await onServer((client) => client.query(`CREATE DATABASE "${database}"`));
    databaseCreated = true;
    const databaseUrl = new URL(SERVER_URL);
    databaseUrl.pathname = `/${database}`;
    // The master secret as compose gives it: a file named by JWT_SECRET_FILE.
    const secretFile = join(dir, 'jwt_secret');
    writeFileSync(secretFile, `${randomBytes(48).toString('base64')}\n`, { mode: 0o600 });

    const [portA, portB, proxyPort] = [await freePort(), await freePort(), await freePort()];
    [a, b, proxy] = [portA, portB, proxyPort].map((port) => `http://127.0.0.1:${port}`);
    const env = (name: string, port: number) => ({
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: join(dir, name, 'data'),
      DATABASE_URL: databaseUrl.toString(),
      DATABASE_POOL_SIZE: '4',
      REDIS_URL,
      REDIS_PREFIX: redisPrefix,
      JWT_SECRET_FILE: secretFile,
      APP_URL: 'https://app.example.com',
      MAIL_TRANSPORT: 'outbox',
      TRUST_PROXY: '1',
      // The topology is under test, not hashing: cheap hashes, one worker each on a shared machine.
      BCRYPT_COST: '4',
      BCRYPT_THREADS: '1',
    });
    // As an upgrade goes: one instance migrates the fresh database first, then the other starts.
    appA = startApp('app A', join(dir, 'a'), env('a', portA));
    children.push(appA);
    await waitForHealth(appA, a);
    appB = startApp('app B', join(dir, 'b'), env('b', portB));
    children.push(appB);
    await waitForHealth(appB, b);

    const nginxDir = join(dir, 'nginx');
    const config = writeNginxConfig({ dir: nginxDir, port: proxyPort, upstreams: [`127.0.0.1:${portA}`, `127.0.0.1:${portB}`] });
    nginx = startNginx(findNginx(), nginxDir, config);
    children.push(nginx);
    await waitForHealth(nginx, proxy, '/health/live', 20_000);
  });

  afterEach((context) => {
    if (context.task.result?.state === 'fail') failed = true;
  });

  afterAll(async () => {
    if (failed) for (const child of children) process.stderr.write(`--- ${child.name} output ---\n${child.log()}\n`);
    // Every process, the database and the Redis keys, whatever happened above.
    await Promise.all(children.map((child) => child.stop()));
    if (databaseCreated) await onServer((client) => client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
    const redis = createClient({ url: REDIS_URL });
    await redis.connect();
    try {
      for await (const keys of redis.scanIterator({ MATCH: `${redisPrefix}*`, COUNT: 100 }))
        if (keys.length > 0) await redis.del(keys);
    } finally {
      redis.destroy();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('should spread requests over both instances', async () => {
    const served = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const answer = await send(proxy, 'GET', '/health/live');
      expect(answer.status).toBe(200);
      served.add(servedBy(answer));
    }
    expect([...served].sort()).toEqual(['A', 'B']);
  });

  it('should record the address nginx saw, not a forged X-Forwarded-For nor nginx itself', async () => {
    const spoof = { from: '127.0.0.2', headers: { 'x-forwarded-for': '6.6.6.6' } };
    const registered = await send(proxy, 'POST', '/api/v1/auth/register', {
      ...spoof,
      body: { email: email('ip'), password: PASSWORD },
    });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const login = await send(proxy, 'POST', '/api/v1/auth/login', { ...spoof, body: { email: email('ip'), password: PASSWORD } });
    expect(login.status).toBe(200);
    const token = login.body.accessToken as string;

    const sessions = await send(proxy, 'GET', '/api/v1/auth/sessions', { ...spoof, token });
    expect(sessions.status).toBe(200);
    expect(sessions.body.map((session: { ip: string }) => session.ip)).toEqual(['127.0.0.2', '127.0.0.2']);
    const events = await send(proxy, 'GET', '/api/v1/auth/events', { ...spoof, token });
    expect(events.status).toBe(200);
    const recorded = events.body.items.map((event: { type: string; ip: string }) => [event.type, event.ip]);
    expect(recorded).toEqual(
      expect.arrayContaining([
        ['register', '127.0.0.2'],
        ['login_success', '127.0.0.2'],
      ]),
    );
    expect(JSON.stringify(events.body)).not.toMatch(/6\.6\.6\.6|127\.0\.0\.1"/);
  });

  it('should refuse on one instance an access token logged out on the other', async () => {
    await send(proxy, 'POST', '/api/v1/auth/register', {
      from: '127.0.0.3',
      body: { email: email('logout'), password: PASSWORD },
    });
    const login = await send(a, 'POST', '/api/v1/auth/login', { body: { email: email('logout'), password: PASSWORD } });
    expect(login.status).toBe(200);
    const token = login.body.accessToken as string;
    expect((await send(a, 'GET', '/api/v1/auth/me', { token })).status).toBe(200);
    expect((await send(b, 'GET', '/api/v1/auth/me', { token })).status).toBe(200);

    expect((await send(a, 'POST', '/api/v1/auth/logout', { token })).status).toBe(204);

    const onB = await send(b, 'GET', '/api/v1/auth/me', { token });
    expect(onB.status).toBe(401);
    expect(onB.body.code).toBe('session_ended');
  });

  it('should refuse on the other instance a token logged out through the proxy', async () => {
    const login = await send(proxy, 'POST', '/api/v1/auth/login', {
      from: '127.0.0.3',
      body: { email: email('logout'), password: PASSWORD },
    });
    expect(login.status).toBe(200);
    const token = login.body.accessToken as string;

    const logout = await send(proxy, 'POST', '/api/v1/auth/logout', { from: '127.0.0.3', token });
    expect(logout.status).toBe(204);
    const other = servedBy(logout) === 'A' ? b : servedBy(logout) === 'B' ? a : undefined;
    expect(other, `logout served by ${servedBy(logout)}`).toBeDefined();

    const answer = await send(other!, 'GET', '/api/v1/auth/me', { token });
    expect(answer.status).toBe(401);
    expect(answer.body.code).toBe('session_ended');
  });

  it('should lock an account after the same number of wrong guesses, whichever instance gets each', async () => {
    await send(proxy, 'POST', '/api/v1/auth/register', {
      from: '127.0.0.4',
      body: { email: email('lockout'), password: PASSWORD },
    });
    const guess = (base: string) =>
      send(base, 'POST', '/api/v1/auth/login', {
        from: '127.0.0.4',
        body: { email: email('lockout'), password: 'wrong horse battery staple' },
      });

    // A and B in turn: neither instance alone sees enough guesses to lock the account.
    for (let i = 1; i <= LOCKOUT_THRESHOLD; i++) {
      const answer = await guess(i % 2 === 1 ? a : b);
      expect(answer.status, `guess ${i}: ${JSON.stringify(answer.body)}`).toBe(401);
    }
    for (const base of [b, a]) {
      const answer = await guess(base);
      expect(answer.status).toBe(429);
      expect(answer.body.code).toBe('account_locked');
    }
    const rightPassword = await send(proxy, 'POST', '/api/v1/auth/login', {
      from: '127.0.0.4',
      body: { email: email('lockout'), password: PASSWORD },
    });
    expect(rightPassword.status).toBe(429);
    expect(rightPassword.body.code).toBe('account_locked');
  });

  it('should count the per-account login limit across instances', async () => {
    await send(proxy, 'POST', '/api/v1/auth/register', {
      from: '127.0.0.5',
      body: { email: email('limit'), password: PASSWORD },
    });
    const login = (base: string) =>
      send(base, 'POST', '/api/v1/auth/login', { from: '127.0.0.5', body: { email: email('limit'), password: PASSWORD } });

    for (let i = 1; i <= LOGIN_ACCOUNT_LIMIT; i++) {
      const answer = await login(i % 2 === 1 ? a : b);
      expect(answer.status, `login ${i}: ${JSON.stringify(answer.body)}`).toBe(200);
    }
    for (const base of [a, b]) {
      const answer = await login(base);
      expect(answer.status).toBe(429);
      expect(answer.body.code).toBe('rate_limited');
    }
  });

  it('should refuse /metrics from outside, without asking an instance', async () => {
    for (const path of ['/metrics', '/metrics/', '//metrics', '/%6detrics?x=1']) {
      const answer = await send(proxy, 'GET', path);
      expect(answer.status, path).toBe(404);
      expect(answer.body.code).toBe('not_found');
      expect(answer.headers['x-upstream'], path).toBeUndefined();
    }
  });

  it('should leave bodies up to twice the app limit to the app, and refuse larger ones in the same shape', async () => {
    const body = (bytes: number) => JSON.stringify({ email: email('big'), password: 'x'.repeat(bytes) });
    const byApp = await send(proxy, 'POST', '/api/v1/auth/login', { raw: body(20 * 1024) });
    expect(byApp.status).toBe(413);
    expect(byApp.body.code).toBe('payload_too_large');
    expect(['A', 'B']).toContain(servedBy(byApp));

    const byProxy = await send(proxy, 'POST', '/api/v1/auth/login', { raw: body(40 * 1024) });
    expect(byProxy.status).toBe(413);
    expect(byProxy.body.code).toBe('payload_too_large');
    expect(byProxy.headers['x-upstream']).toBeUndefined();
  });

  it('should pass a well-formed X-Request-Id on, and make one for a malformed one', async () => {
    await send(proxy, 'GET', '/health/live', { headers: { 'x-request-id': `topology-${run}` } });
    await send(proxy, 'GET', `/probe-${run}`, { headers: { 'x-request-id': `bad id ${run} "quoted"` } });
    const accessLog = () => readFileSync(join(dir, 'nginx', 'access.log'), 'utf8');
    await expect.poll(accessLog).toContain(`rid=topology-${run} `);
    expect(accessLog()).not.toContain(`bad id ${run}`);
    expect(accessLog()).toMatch(new RegExp(`"GET /probe-${run}" 404 .* rid=[0-9a-f]{32} `));
  });

  it('should send every request to the live instance when one is down, and answer 503 when both are', async () => {
    await appA.stop();
    for (let i = 0; i < 4; i++) {
      const answer = await send(proxy, 'GET', '/health/live');
      expect(answer.status).toBe(200);
      expect(servedBy(answer)).toBe('B');
    }
    // A POST too: no connection to A could be opened, so nothing was sent and the retry is safe.
    const registered = await send(proxy, 'POST', '/api/v1/auth/register', {
      from: '127.0.0.6',
      body: { email: email('failover'), password: PASSWORD },
    });
    expect(registered.status).toBe(201);

    await appB.stop();
    const down = await send(proxy, 'GET', '/api/v1/auth/me');
    expect(down.status).toBe(503);
    expect(down.body.code).toBe('service_unavailable');
  });
});
