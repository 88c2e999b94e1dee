import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_POSTGRES } from '../src/database/database.module.js';
import type { EmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { bearer, expectErrorShape, registerUser } from './support/factories.js';
import { startTestApp, withAdminClient, type TestApp } from './support/test-app.js';

/** Cuts the app off its database and back: closes the embedded socket, or refuses connections on the server. */
function outage(test: TestApp): { begin(): Promise<void>; end(): Promise<void> } {
  const serverUrl = process.env.DATABASE_URL;
  const name = test.database.url ? new URL(test.database.url).pathname.slice(1) : undefined;
  if (serverUrl && name) {
    return {
      begin: () =>
        withAdminClient(serverUrl, async (client) => {
          await client.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
          await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
        }),
      end: () => withAdminClient(serverUrl, (client) => client.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`)).then(() => undefined),
    };
  }
  const embedded = test.app.get<EmbeddedPostgres>(EMBEDDED_POSTGRES);
  return { begin: () => embedded.unlisten(), end: () => embedded.listen() };
}

describe('database outage (e2e)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp();
  });

  afterAll(async () => {
    await test?.close();
  });

  it('should answer 503 while the database is down, issue no token, and recover by itself', async () => {
    const { email, password, accessToken } = await registerUser(test);
    const cut = outage(test);

    await cut.begin();
    try {
      const health = await test.http.get('/health');
      expect(health.status).toBe(503);
      expect(health.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'Unhealthy: database is down' });

      const login = await test.http.post('/api/v1/auth/login').send({ email, password });
      expect(login.status).toBe(503);
      expectErrorShape(login.body, 503);
      expect(login.body.accessToken).toBeUndefined();

      const me = await test.http.get('/api/v1/auth/me').set(bearer(accessToken));
      expect(me.status).toBe(503);
    } finally {
      await cut.end();
    }

    await expect.poll(async () => (await test.http.get('/health')).status, { timeout: 10_000, interval: 200 }).toBe(200);
    expect((await test.http.post('/api/v1/auth/login').send({ email, password })).status).toBe(200);
    expect((await test.http.get('/api/v1/auth/me').set(bearer(accessToken))).status).toBe(200);
  });
});

/** A TCP relay to Redis that the test can cut and restore. */
async function redisRelay(target: URL): Promise<{ port: number; cut(): void; restore(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let server: Server;
  const listen = (port: number) =>
    new Promise<Server>((resolve) => {
      const relay = createServer((client) => {
        const upstream = connect(Number(target.port || 6379), target.hostname);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => socket.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      relay.listen(port, '127.0.0.1', () => resolve(relay));
    });
  server = await listen(0);
  const port = (server.address() as { port: number }).port;
  return {
    port,
    cut() {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
    async restore() {
      server = await listen(port);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe.runIf(process.env.REDIS_URL)('redis outage (e2e)', () => {
  it('should answer 503 on limited routes and name redis in /health while it is down, and recover by itself', async () => {
    const relay = await redisRelay(new URL(process.env.REDIS_URL!));
    const test = await startTestApp({ env: { RATE_LIMIT: 'on', REDIS_URL: `redis://127.0.0.1:${relay.port}`, REDIS_PREFIX: 'outage-test:' } });
    try {
      const { email, password } = await registerUser(test);

      relay.cut();
      const health = await test.http.get('/health');
      expect(health.status).toBe(503);
      expect(health.body.message).toBe('Unhealthy: redis is down');
      const login = await test.http.post('/api/v1/auth/login').send({ email, password });
      expect(login.status).toBe(503);
      expect(login.body.accessToken).toBeUndefined();

      await relay.restore();
      await expect.poll(async () => (await test.http.get('/health')).status, { timeout: 10_000, interval: 200 }).toBe(200);
      expect((await test.http.post('/api/v1/auth/login').send({ email, password })).status).toBe(200);
    } finally {
      await test.close();
      await relay.close().catch(() => undefined);
    }
  });
});
