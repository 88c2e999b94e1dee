import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, symlinkSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseBehindRelay } from './support/frozen-relay.js';
import { PASSWORD, uniqueEmail } from './support/factories.js';
import { buildInto } from './support/build.js';
import { createTestDatabase, startTestApp, TEST_JWT_SECRET } from './support/test-app.js';

/** `node dist/main.js` as it runs in production, built without type checks (that is `npm run check`'s job). */
const BUILD = join(import.meta.dirname, 'artifacts', `main-${randomBytes(4).toString('hex')}`);

interface Child {
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startMain(env: Record<string, string | undefined>): Child {
  const child = spawn(process.execPath, [join(BUILD, 'main.js')], {
    env: { PATH: process.env.PATH, NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, HOST: '127.0.0.1', RATE_LIMIT: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { process: child, output: () => output, exited };
}

/** Resolves with the exit code, or `running` when the process is still alive after `ms`. */
function exitWithin(child: Child, ms: number): Promise<number | null | 'running'> {
  return Promise.race([child.exited, new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), ms))]);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A plain HTTP/1.1 connection, to send a request in parts and read exactly what comes back. */
interface RawConnection {
  socket: Socket;
  received: () => string;
  /** Resolves with everything received once the server has closed the connection. */
  ended: Promise<string>;
}

async function rawConnection(port: number): Promise<RawConnection> {
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  let received = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
  const ended = new Promise<string>((resolve, reject) => {
    socket.once('end', () => resolve(received));
    socket.once('error', reject);
  });
  ended.catch(() => undefined);
  return { socket, received: () => received, ended };
}

/** The final answer in what a raw connection received (after any `100 Continue`): status, headers, JSON body. */
function parseAnswer(text: string): { status: number; headers: Record<string, string>; body: unknown } {
  const answer = text.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, '');
  const [head, ...rest] = answer.split('\r\n\r\n');
  const [statusLine, ...headerLines] = head.split('\r\n');
  const headers = Object.fromEntries(
    headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(rest.join('\r\n\r\n')) as unknown };
}

/** A login whose headers are sent and acknowledged (`100 Continue`): in flight, its body still to come. */
async function loginInFlight(port: number, email: string): Promise<{ connection: RawConnection; sendBody: () => void }> {
  const body = JSON.stringify({ email, password: PASSWORD });
  const connection = await rawConnection(port);
  connection.socket.write(
    'POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`,
  );
  await expect.poll(() => connection.received(), { timeout: 10_000, interval: 20 }).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
  return { connection, sendBody: () => connection.socket.write(body) };
}

/** Where each line matching `patterns` first appears in `output`, in the order given; -1 for a missing one. */
function positions(output: string, patterns: RegExp[]): number[] {
  return patterns.map((pattern) => output.search(pattern));
}

describe('the service process (e2e)', () => {
  beforeAll(async () => {
    await buildInto(BUILD);
    // The app reads `public/` beside its build folder, as `dist/` has it.
    try {
      symlinkSync(join('..', '..', 'public'), join(BUILD, '..', 'public'), 'dir');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  });

  afterAll(() => {
    rmSync(BUILD, { recursive: true, force: true });
  });

  it('should print one line saying what to do, and exit 1, when another instance runs on its data folder', async () => {
    const database = await createTestDatabase({ embedded: true });
    const running = await startTestApp({ database });
    const second = startMain({ DATA_DIR: database.dataDir });
    try {
      expect(await exitWithin(second, 20_000)).toBe(1);
      const lines = second.output().trim().split('\n');
      expect(lines, second.output()).toHaveLength(1);
      expect(lines[0]).toMatch(/in use by another process.*another DATA_DIR.*DATABASE_URL/);
    } finally {
      second.process.kill('SIGKILL');
      await running.close();
      await database.drop();
    }
  });

  // A relay can stand between the app and a server only; embedded PGlite runs inside the app's process.
  it.runIf(process.env.DATABASE_URL)('should exit within SHUTDOWN_GRACE of SIGTERM while the database hangs', async () => {
    const { database, relay, url } = await databaseBehindRelay();
    const port = await freePort();
    const main = startMain({ DATA_DIR: database.dataDir, DATABASE_URL: url, PORT: String(port), SHUTDOWN_GRACE: '2' });
    try {
      await expect.poll(() => main.output(), { timeout: 30_000, interval: 100 }).toMatch(/Listening on/);
      relay.freeze();
      // A request waits on the hung database while the process is told to stop.
      const pending = fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'nobody@example.com', password: 'correct horse battery staple' }),
      }).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 200));

      const signalled = Date.now();
      main.process.kill('SIGTERM');

      expect(await exitWithin(main, 10_000), main.output()).toBe(1);
      expect(Date.now() - signalled).toBeLessThan(6000);
      expect(main.output()).toMatch(/Shutdown did not finish within 2 s/);
      await pending;
    } finally {
      main.process.kill('SIGKILL');
      relay.thaw();
      await relay.close();
      await database.drop();
    }
  });

  it('should fail readiness on SIGTERM, finish the request in flight, refuse a late one, and exit 0 within SHUTDOWN_GRACE', async () => {
    const database = await createTestDatabase();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    // BCRYPT_COST 12 (the default) keeps the login busy for a few hundred ms after its body arrives.
    const main = startMain({
      DATA_DIR: database.dataDir,
      DATABASE_URL: database.url,
      PORT: String(port),
      SHUTDOWN_DELAY: '2',
      SHUTDOWN_GRACE: '10',
      HTTP_HEADERS_TIMEOUT: '60',
      HTTP_REQUEST_TIMEOUT: '60',
    });
    try {
      await expect.poll(() => main.output(), { timeout: 60_000, interval: 100 }).toMatch(/Listening on/);
      const email = uniqueEmail();
      const register = await fetch(`${base}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      expect(register.status).toBe(201);
      expect((await fetch(`${base}/health/ready`)).status).toBe(200);

      // A request begun (its first line sent) but not complete when the listener closes.
      const late = await rawConnection(port);
      late.socket.write('GET /api/v1/auth/me HTTP/1.1\r\nHost: localhost\r\n');
      const login = await loginInFlight(port, email);

      const signalled = Date.now();
      main.process.kill('SIGTERM');
      await expect.poll(() => main.output(), { timeout: 5000, interval: 20 }).toMatch(/Shutdown begun \(SIGTERM\)/);

      // During SHUTDOWN_DELAY: readiness fails, liveness holds, and every answer closes its connection.
      const ready = await fetch(`${base}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.headers.get('connection')).toBe('close');
      expect(await ready.json()).toMatchObject({ statusCode: 503, code: 'shutting_down' });
      expect((await fetch(`${base}/health/live`)).status).toBe(200);

      await expect.poll(() => main.output(), { timeout: 5000, interval: 20 }).toMatch(/Listener closed/);
      late.socket.write('\r\n');
      login.sendBody();

      const refused = parseAnswer(await late.ended);
      expect(refused.status).toBe(503);
      expect(refused.headers.connection).toBe('close');
      expect(refused.body).toMatchObject({ statusCode: 503, code: 'shutting_down' });
      const loggedIn = parseAnswer(await login.connection.ended);
      expect(loggedIn.status, JSON.stringify(loggedIn.body)).toBe(200);
      expect(loggedIn.headers.connection).toBe('close');
      expect(loggedIn.body).toMatchObject({ accessToken: expect.any(String) });

      expect(await exitWithin(main, 15_000), main.output()).toBe(0);
      expect(Date.now() - signalled).toBeLessThan(10_000);
      const steps = positions(main.output(), [
        /Shutdown begun \(SIGTERM\): readiness now answers 503 shutting_down/,
        /Waiting 2 s \(SHUTDOWN_DELAY\)/,
        /Listener closed; waiting for the requests in flight/,
        /Requests in flight finished/,
        /Closing the app: database, Redis, workers/,
        /Shutdown complete in \d+ ms/,
      ]);
      expect(
        steps.every((at) => at >= 0),
        main.output(),
      ).toBe(true);
      expect(steps, main.output()).toEqual([...steps].sort((a, b) => a - b));
    } finally {
      main.process.kill('SIGKILL');
      await database.drop();
    }
  }, 120_000);

  it('should exit 1 shortly after SHUTDOWN_GRACE when a request in flight never finishes', async () => {
    const database = await createTestDatabase();
    const port = await freePort();
    const main = startMain({
      DATA_DIR: database.dataDir,
      DATABASE_URL: database.url,
      PORT: String(port),
      SHUTDOWN_GRACE: '2',
      HTTP_REQUEST_TIMEOUT: '60',
    });
    try {
      await expect.poll(() => main.output(), { timeout: 60_000, interval: 100 }).toMatch(/Listening on/);
      // Its body never comes, and HTTP_REQUEST_TIMEOUT is far off: the request hangs.
      const hung = await loginInFlight(port, uniqueEmail());

      const signalled = Date.now();
      main.process.kill('SIGTERM');

      expect(await exitWithin(main, 15_000), main.output()).toBe(1);
      expect(Date.now() - signalled).toBeGreaterThanOrEqual(2000);
      expect(Date.now() - signalled).toBeLessThan(4500);
      expect(main.output()).toMatch(
        /Shutdown did not finish within 2 s \(SHUTDOWN_GRACE\) while waiting for the requests in flight/,
      );
      expect(main.output()).not.toMatch(/Shutdown complete/);
      hung.connection.socket.destroy();
    } finally {
      main.process.kill('SIGKILL');
      await database.drop();
    }
  }, 120_000);
});
