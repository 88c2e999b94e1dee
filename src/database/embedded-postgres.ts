import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { Logger } from '@nestjs/common';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
      rmSync(lockFile, { force: true });
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
    rmSync(this.lockFile, { force: true });
  }
}

/** Two processes writing one PGlite folder would corrupt it: refuse while another live one holds it. */
function takeLock(lockFile: string): void {
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const holder = Number(readFileSync(lockFile, 'utf8'));
  if (isAlive(holder)) {
    throw new Error(`The embedded database in ${lockFile.replace(/\/pgdata\.pid$/, '')} is in use by process ${holder}`);
  }
  writeFileSync(lockFile, String(process.pid));
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
