import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readlinkSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SOCKET_PORT = 5432;

/** How `pg` reaches a database: a URL, or host/port fields (the embedded socket). */
export type PostgresConnection =
  | { url: string }
  | { host: string; port: number; username: string; database: string };

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
 * socket in a temporary folder named after DATA_DIR (so the next start clears what a crash left), so
 * the app reaches it through the ordinary `pg` driver. PGlite runs one query at a time: callers keep
 * their pool at one connection.
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
    try {
      const started = Date.now();
      // Lock files of earlier versions (a PID, which a restarted container reuses) mean nothing now.
      rmSync(join(dataDir, 'pgdata.pid'), { force: true });
      const socketDir = socketDirFor(dataDir);
      rmSync(socketDir, { recursive: true, force: true });
      mkdirSync(socketDir, { mode: 0o700 });
      const db = await PGlite.create(join(dataDir, 'pgdata'));
      const embedded = new EmbeddedPostgres(db, lock, socketDir);
      await embedded.listen();
      EmbeddedPostgres.logger.log(`Embedded Postgres ready in ${Date.now() - started} ms (data in ${dataDir}/pgdata)`);
      return embedded;
    } catch (error) {
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
    const server = new PGLiteSocketServer({ db: this.db, path: join(this.socketDir, `.s.PGSQL.${SOCKET_PORT}`), maxConnections: 2 });
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

/** The socket folder of one data folder: the same on every start, so a start removes what a crash left. */
function socketDirFor(dataDir: string): string {
  return join(tmpdir(), `auth-pg-${fingerprint(dataDir)}`);
}

function fingerprint(dataDir: string): string {
  return createHash('sha256').update(realpathSync(dataDir)).digest('hex').slice(0, 16);
}

/** The kernel truncates longer Unix socket paths (sun_path is 108 bytes) without an error. */
const MAX_SOCKET_PATH = 100;

/**
 * An exclusive lock on a data folder: a Unix socket bound at DATA_DIR/pgdata.lock. The kernel
 * releases the binding when the process dies, however it dies; the file a crash leaves refuses
 * connections, which tells it from a live holder, so it is replaced.
 */
class DataDirLock {
  private constructor(private readonly server: Server) {}

  static async acquire(dataDir: string): Promise<DataDirLock> {
    const path = lockPath(dataDir);
    // A holder answers and hangs up at once; its clients are never kept.
    const server = createServer((socket) => socket.destroy());
    try {
      await listen(server, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      if (await accepts(path)) throw new DataDirInUseError(dataDir);
      rmSync(path, { force: true });
      await listen(server, path).catch((retry: unknown) => {
        throw (retry as NodeJS.ErrnoException).code === 'EADDRINUSE' ? new DataDirInUseError(dataDir) : retry;
      });
    }
    server.unref();
    return new DataDirLock(server);
  }

  static async isHeld(dataDir: string): Promise<boolean> {
    return existsSync(dataDir) && accepts(lockPath(dataDir));
  }

  /** Closing the server also removes its socket file. */
  release(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** DATA_DIR/pgdata.lock, reached through a short link in the temporary folder when the path is too long for a socket. */
function lockPath(dataDir: string): string {
  const direct = join(dataDir, 'pgdata.lock');
  if (Buffer.byteLength(direct) <= MAX_SOCKET_PATH) return direct;
  const target = realpathSync(dataDir);
  const link = join(tmpdir(), `auth-data-${fingerprint(dataDir)}`);
  if (readLink(link) !== target) {
    rmSync(link, { force: true });
    symlinkSync(target, link, 'dir');
  }
  return join(link, 'pgdata.lock');
}

function readLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
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
