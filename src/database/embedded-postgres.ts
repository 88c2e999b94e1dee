import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { Logger } from '@nestjs/common';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const SOCKET_PORT = 5432;

/** How `pg` reaches a database: a URL, or host/port fields (the embedded socket). */
export type PostgresConnection =
  | { url: string }
  | { host: string; port: number; username: string; database: string };

/**
 * Postgres compiled to WebAssembly (PGlite), persisted under DATA_DIR/pgdata and served on a Unix
 * socket in a private temporary folder, so the app reaches it through the ordinary `pg` driver.
 * PGlite runs one query at a time: callers keep their pool at one connection.
 */
export class EmbeddedPostgres {
  private static readonly logger = new Logger(EmbeddedPostgres.name);
  private server?: PGLiteSocketServer;

  private constructor(
    private readonly db: PGlite,
    private readonly lockFile: string,
    private readonly socketDir: string,
  ) {}

  static async start(dataDir: string): Promise<EmbeddedPostgres> {
    mkdirSync(dataDir, { recursive: true });
    const lockFile = join(dataDir, 'pgdata.pid');
    takeLock(lockFile);
    try {
      const started = Date.now();
      const db = await PGlite.create(join(dataDir, 'pgdata'));
      const embedded = new EmbeddedPostgres(db, lockFile, mkdtempSync(join(tmpdir(), 'auth-pg-')));
      await embedded.listen();
      EmbeddedPostgres.logger.log(`Embedded Postgres ready in ${Date.now() - started} ms (data in ${dataDir}/pgdata)`);
      return embedded;
    } catch (error) {
      releaseLock(lockFile);
      throw error;
    }
  }

  get connection(): PostgresConnection {
    return { host: this.socketDir, port: SOCKET_PORT, username: 'postgres', database: 'postgres' };
  }

  /** Opens the socket; `pg` connects to `<dir>/.s.PGSQL.<port>`. */
  async listen(): Promise<void> {
    if (this.server) return;
    const server = new PGLiteSocketServer({ db: this.db, path: join(this.socketDir, `.s.PGSQL.${SOCKET_PORT}`) });
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
    releaseLock(this.lockFile);
  }
}

/** Lock files this process holds (a PID alone cannot tell: a restarted container reuses PID 1). */
const heldLocks = new Set<string>();

/** Two writers on one PGlite folder would corrupt it: refuse while a live holder has it. */
function takeLock(lockFile: string): void {
  let created = true;
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    created = false;
  }
  if (!created) {
    const holder = Number(readFileSync(lockFile, 'utf8'));
    const live = holder === process.pid ? heldLocks.has(lockFile) : isAlive(holder);
    if (live) throw new Error(`The embedded database in ${dirname(lockFile)} is in use by process ${holder}`);
    writeFileSync(lockFile, String(process.pid));
  }
  heldLocks.add(lockFile);
}

function releaseLock(lockFile: string): void {
  heldLocks.delete(lockFile);
  rmSync(lockFile, { force: true });
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
