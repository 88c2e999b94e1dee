import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { Logger } from '@nestjs/common';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, symlinkSync, type Stats } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';

const SOCKET_PORT = 5432;
const SOCKET_FILE = `.s.PGSQL.${SOCKET_PORT}`;

/** How `pg` reaches a database: a URL, or host/port fields (the embedded socket). */
export type PostgresConnection = { url: string } | { host: string; port: number; username: string; database: string };

/** Another process holds the embedded database's folder; main.ts prints this message alone. */
export class DataDirInUseError extends Error {
  constructor(readonly dataDir: string) {
    super(
      `The embedded database in ${dataDir} is in use by another process: stop it, or give this one another DATA_DIR, or set DATABASE_URL to share a Postgres server`,
    );
    this.name = DataDirInUseError.name;
  }
}

/**
 * Postgres compiled to WebAssembly (PGlite), persisted under DATA_DIR/pgdata and served on a Unix
 * socket, so the app reaches it through the ordinary `pg` driver. PGlite runs one query at a time:
 * callers keep their pool at one connection.
 */
export class EmbeddedPostgres {
  private static readonly logger = new Logger(EmbeddedPostgres.name);
  private server?: PGLiteSocketServer;

  private constructor(
    private readonly db: PGlite,
    private readonly lock: DataDirLock,
    private readonly socketDir: string,
  ) {}

  /** Throws DataDirInUseError when another process runs on dataDir. */
  static async start(dataDir: string): Promise<EmbeddedPostgres> {
    mkdirSync(dataDir, { recursive: true });
    const lock = await DataDirLock.acquire(dataDir);
    let socketDir: string | undefined;
    try {
      const started = Date.now();
      // Lock files of earlier versions (a PID, which a restarted container reuses) mean nothing now.
      rmSync(join(dataDir, 'pgdata.pid'), { force: true });
      socketDir = makeSocketDir(dataDir);
      // pg_trgm backs the users search index (a migration creates the extension).
      const db = await PGlite.create(join(dataDir, 'pgdata'), { extensions: { pg_trgm } });
      const embedded = new EmbeddedPostgres(db, lock, socketDir);
      await embedded.listen();
      EmbeddedPostgres.logger.log(`Embedded Postgres ready in ${Date.now() - started} ms (data in ${dataDir}/pgdata)`);
      return embedded;
    } catch (error) {
      if (socketDir) rmSync(socketDir, { recursive: true, force: true });
      await lock.release();
      throw error;
    }
  }

  /** Whether another process runs on dataDir, without taking it: main.ts checks before building the app. */
  static isInUse(dataDir: string): Promise<boolean> {
    return DataDirLock.isHeld(dataDir);
  }

  get connection(): PostgresConnection {
    return { host: this.socketDir, port: SOCKET_PORT, username: 'postgres', database: 'postgres' };
  }

  /** Opens the socket; `pg` connects to `<dir>/.s.PGSQL.<port>`. */
  async listen(): Promise<void> {
    if (this.server) return;
    // Two: the migrations' connection may still be closing when the app's pool opens its one.
    const server = new PGLiteSocketServer({ db: this.db, path: join(this.socketDir, SOCKET_FILE), maxConnections: 2 });
    await server.start();
    this.server = server;
  }

  /** Closes the socket and drops its connections; the data stays. Used to simulate an outage. */
  async unlisten(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.stop();
  }

  async stop(): Promise<void> {
    await this.unlisten();
    if (!this.db.closed) await this.db.close();
    rmSync(this.socketDir, { recursive: true, force: true });
    await this.lock.release();
  }
}

/**
 * PGlite's socket folder: DATA_DIR/pgsocket, emptied at start (under the lock, so what is there was
 * left by a crash); when that path is too long for a socket, a private temporary folder (mode 0700,
 * a name no one can claim beforehand). The caller removes it at stop.
 */
function makeSocketDir(dataDir: string): string {
  // Absolute: `pg` takes a host that starts with a slash for a socket folder.
  const inside = join(realpathSync(dataDir), 'pgsocket');
  if (Buffer.byteLength(join(inside, SOCKET_FILE)) > MAX_SOCKET_PATH) return mkdtempSync(join(tmpdir(), 'auth-pg-'));
  rmSync(inside, { recursive: true, force: true });
  mkdirSync(inside, { mode: 0o700 });
  return inside;
}

/** The kernel truncates longer Unix socket paths (sun_path is 108 bytes) without an error. */
const MAX_SOCKET_PATH = 100;

/** How long a stale-lock recovery may take before others treat its guard as left by a crash. */
const RECOVERY_GUARD_STALE_MS = 10_000;

/**
 * An exclusive lock on a data folder: a Unix socket bound at DATA_DIR/pgdata.lock. The kernel
 * releases the binding when the process dies, however it dies; the file a crash leaves refuses
 * connections, which tells it from a live holder, so it is replaced. A socket file, not an abstract
 * (file-less) socket: abstract names are per network namespace, so two containers sharing the data
 * volume would not see each other's lock; a file on the volume is seen by both.
 */
class DataDirLock {
  private constructor(
    private readonly server: Server,
    private readonly link: ShortLink | undefined,
  ) {}

  static async acquire(dataDir: string): Promise<DataDirLock> {
    const link = ShortLink.to(dataDir);
    // A holder answers and hangs up at once; its clients are never kept.
    const server = createServer((socket) => socket.destroy());
    try {
      const path = link?.join(LOCK_FILE) ?? join(dataDir, LOCK_FILE);
      if (!(await bind(server, path))) {
        if (await accepts(path)) throw new DataDirInUseError(dataDir);
        // Stale. Replaced under a guard: two starts after a crash would otherwise both unlink and
        // bind, the second unlinking the socket the first had just bound, and both would run.
        await withRecoveryGuard(dataDir, async () => {
          if (await accepts(path)) throw new DataDirInUseError(dataDir);
          rmSync(path, { force: true });
          // Taken between the unlink and the bind by a start that found no file: that one holds it.
          if (!(await bind(server, path))) throw new DataDirInUseError(dataDir);
        });
      }
    } catch (error) {
      link?.remove();
      throw error;
    }
    server.unref();
    return new DataDirLock(server, link);
  }

  static async isHeld(dataDir: string): Promise<boolean> {
    if (!existsSync(dataDir)) return false;
    const link = ShortLink.to(dataDir);
    try {
      return await accepts(link?.join(LOCK_FILE) ?? join(dataDir, LOCK_FILE));
    } finally {
      link?.remove();
    }
  }

  /** Closing the server also removes its socket file. */
  async release(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
    this.link?.remove();
  }
}

const LOCK_FILE = 'pgdata.lock';

/**
 * Runs `recover` while holding DATA_DIR/pgdata.lock.recovery (mkdir is atomic: one holder). A guard
 * older than RECOVERY_GUARD_STALE_MS was left by a crash mid-recovery, which takes milliseconds.
 */
async function withRecoveryGuard(dataDir: string, recover: () => Promise<void>): Promise<void> {
  const guard = join(dataDir, `${LOCK_FILE}.recovery`);
  for (;;) {
    try {
      mkdirSync(guard);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const age = Date.now() - (statOrUndefined(guard)?.mtimeMs ?? Date.now());
    if (age > RECOVERY_GUARD_STALE_MS) rmSync(guard, { recursive: true, force: true });
    else await setTimeout(50);
  }
  try {
    await recover();
  } finally {
    rmSync(guard, { recursive: true, force: true });
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * A short way to a data folder whose path is too long for a socket: a link in a private temporary
 * folder (mode 0700), made by each process for itself and removed with it.
 */
class ShortLink {
  private constructor(private readonly folder: string) {}

  /** Undefined when the lock's own path is short enough. */
  static to(dataDir: string): ShortLink | undefined {
    if (Buffer.byteLength(join(dataDir, LOCK_FILE)) <= MAX_SOCKET_PATH) return undefined;
    const folder = mkdtempSync(join(tmpdir(), 'auth-lock-'));
    try {
      symlinkSync(realpathSync(dataDir), join(folder, 'd'), 'dir');
    } catch (error) {
      rmSync(folder, { recursive: true, force: true });
      throw error;
    }
    return new ShortLink(folder);
  }

  join(name: string): string {
    return join(this.folder, 'd', name);
  }

  /** Removes the link and its folder, never what the link points to. */
  remove(): void {
    rmSync(this.folder, { recursive: true, force: true });
  }
}

/** Binds the server at path: false when the path is taken (EADDRINUSE). */
function bind(server: Server, path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(false) : reject(error));
    server.once('error', onError);
    server.listen(path, () => {
      server.off('error', onError);
      resolve(true);
    });
  });
}

/** True when a live process is bound at the socket path; false when nothing is, or only a stale file. */
function accepts(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
