import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseBehindRelay } from './support/frozen-relay.js';
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

describe('the service process (e2e)', () => {
  beforeAll(async () => {
    // Others' work in progress may not type-check; --noCheck still emits it.
    await promisify(execFile)(join('node_modules', '.bin', 'tsc'), [
      '-p',
      'tsconfig.build.json',
      '--noCheck',
      '--sourceMap',
      'false',
      '--outDir',
      BUILD,
    ]);
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
});
