import { Logger, type BeforeApplicationShutdown, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import pg from 'pg';
import type {
  DataSource,
  EntityManager,
  EntitySubscriberInterface,
  TransactionCommitEvent,
  TransactionRollbackEvent,
} from 'typeorm';

/** What a listener on one channel is told. */
export interface NotificationHandlers {
  /** A notification on the channel, from any instance (this one included). */
  message(payload: string): void;
  /** Notifications may have been missed: the connection was lost, or has just been made again. */
  reset(): void;
}

export interface DatabaseNotificationsOptions {
  /** False when this process is the only one on its database (embedded storage): there is no one to tell. */
  shared: boolean;
}

/** How the listening connection shows in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = 'auth-service-listener';

/** Each instance keeps its queue under keys of its own on a query runner (a data source may have several, in tests). */
let instances = 0;
/** The longest a commit waits to hear its own notifications back (a lost listener must not hold a request). */
const ECHO_TIMEOUT_MS = 250;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;
/** A goodbye that gets no answer (a frozen network) must not hold the shutdown. */
const END_TIMEOUT_MS = 1000;
/** Names that LISTEN and pg_notify() read alike, with nothing to escape in the quoted identifier. */
const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

interface Queued {
  channel: string;
  payload: string;
}

/**
 * Postgres LISTEN/NOTIFY between the instances of the service on one database. One connection per
 * process, outside TypeORM's pool, listens on every registered channel. When it is lost, every
 * listener is reset (what was sent meanwhile is unknown); it reconnects with a bounded backoff and
 * resets them again once it listens. A notify made in a transaction is sent in it, just before
 * COMMIT, so Postgres delivers it on commit and never on rollback. On embedded storage the process
 * is alone on its database: nothing is listened to or sent, and `connected` is always true.
 */
export class DatabaseNotifications
  implements EntitySubscriberInterface, OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(DatabaseNotifications.name);
  private readonly channels = new Map<string, NotificationHandlers[]>();
  private readonly sending = new Set<Promise<void>>();
  /** Commits waiting to hear their notifications back, by channel and payload. */
  private readonly echoes = new Map<string, Set<() => void>>();
  private readonly queuedKey = `databaseNotificationsQueued#${++instances}`;
  private readonly echoesKey = `databaseNotificationsEchoes#${instances}`;
  /** The connection being made or in use; any other client's events are old news. */
  private client: pg.Client | undefined;
  private listening = false;
  private started = false;
  private stopped = false;
  /** The loss was logged, and its end will be. */
  private down = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay = RETRY_MIN_MS;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: DatabaseNotificationsOptions,
  ) {
    if (options.shared) dataSource.subscribers.push(this);
  }

  /** Whether a notification sent now would reach this process: a cache keeps nothing while it would not. */
  get connected(): boolean {
    return !this.options.shared || this.listening;
  }

  /**
   * Resolves once the notifications that had reached this process's socket when it was called have
   * been handled: I/O callbacks ready in this turn of the event loop all run before `setImmediate`'s.
   * A request that answers from a cache awaits it first, so a change committed (and announced)
   * before the request arrived is never answered from before it. At once when nothing is shared.
   */
  settled(): Promise<void> {
    return this.options.shared ? new Promise((resolve) => setImmediate(resolve)) : Promise.resolve();
  }

  /** Registers handlers for a channel; call it from a constructor: listening starts at module init. */
  listen(channel: string, handlers: NotificationHandlers): void {
    checkChannel(channel);
    if (this.started) throw new Error(`DatabaseNotifications.listen('${channel}') after module init: call it from a constructor`);
    if (!this.options.shared) return;
    this.channels.set(channel, [...(this.channels.get(channel) ?? []), handlers]);
  }

  /**
   * Tells every instance. In `manager`'s transaction, it is queued and sent in it before COMMIT;
   * otherwise it is sent at once, and a failure is logged, not thrown.
   */
  notify(manager: EntityManager | undefined, channel: string, payload: string): void {
    checkChannel(channel);
    if (!this.options.shared) return;
    const runner = manager?.queryRunner;
    if (runner?.isTransactionActive) {
      ((runner.data[this.queuedKey] as Queued[] | undefined) ??= []).push({ channel, payload });
      return;
    }
    const sent = this.dataSource.query('SELECT pg_notify($1, $2)', [channel, payload]).then(
      () => undefined,
      (error: unknown) => this.logger.error(`Could not notify ${channel}: ${describe(error)}`),
    );
    this.sending.add(sent);
    void sent.then(() => this.sending.delete(sent));
  }

  /**
   * TypeORM awaits this before COMMIT (or RELEASE SAVEPOINT, still inside the transaction). A failure
   * fails the commit: the transaction is aborted by then, and its change did not happen.
   */
  async beforeTransactionCommit({ queryRunner }: TransactionCommitEvent): Promise<void> {
    const queued = queryRunner.data[this.queuedKey] as Queued[] | undefined;
    if (!queued) return;
    delete queryRunner.data[this.queuedKey];
    await queryRunner.query('SELECT pg_notify(n.channel, n.payload) FROM unnest($1::text[], $2::text[]) AS n(channel, payload)', [
      queued.map(({ channel }) => channel),
      queued.map(({ payload }) => payload),
    ]);
    if (!this.listening) return;
    const echoes = queued
      .filter(({ channel }) => this.channels.has(channel))
      .map(({ channel, payload }) => this.echoOf(channel, payload));
    ((queryRunner.data[this.echoesKey] as Array<Promise<void>> | undefined) ??= []).push(...echoes);
  }

  /**
   * After COMMIT, the transaction waits (at most ECHO_TIMEOUT_MS) until this process has heard its own
   * notifications back: Postgres hands them to every listening session at once, so by then the other
   * instances' listeners have them too, and a request they receive after this one's answer finds
   * them handled (see `settled`).
   */
  async afterTransactionCommit({ queryRunner }: TransactionCommitEvent): Promise<void> {
    if (queryRunner.isTransactionActive) return;
    const echoes = queryRunner.data[this.echoesKey] as Array<Promise<void>> | undefined;
    delete queryRunner.data[this.echoesKey];
    if (echoes) await Promise.all(echoes);
  }

  private echoOf(channel: string, payload: string): Promise<void> {
    const key = `${channel}\u0000${payload}`;
    return new Promise((resolve) => {
      const waiting = this.echoes.get(key) ?? new Set<() => void>();
      const heard = () => {
        clearTimeout(timer);
        waiting.delete(heard);
        if (waiting.size === 0 && this.echoes.get(key) === waiting) this.echoes.delete(key);
        resolve();
      };
      const timer = setTimeout(heard, ECHO_TIMEOUT_MS);
      timer.unref();
      waiting.add(heard);
      this.echoes.set(key, waiting);
    });
  }

  /** A savepoint's rollback keeps the queue (it holds the outer transaction's too): sending more only forgets more. */
  afterTransactionRollback({ queryRunner }: TransactionRollbackEvent): void {
    if (!queryRunner.isTransactionActive) {
      delete queryRunner.data[this.queuedKey];
      delete queryRunner.data[this.echoesKey];
    }
  }

  async onModuleInit(): Promise<void> {
    this.started = true;
    if (this.channels.size > 0) await this.connect();
  }

  /** Notifies still on their way go out before the data source closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.sending);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.listening = false;
    const client = this.client;
    this.client = undefined;
    if (client) await endWithin(client, END_TIMEOUT_MS);
  }

  /** One attempt: connect and LISTEN; on failure, the next one is scheduled. Never rejects. */
  private async connect(): Promise<void> {
    this.retryTimer = undefined;
    const client = new pg.Client(this.clientConfig());
    this.client = client;
    let cause: unknown;
    // Without an 'error' listener, a lost connection would crash the process.
    client.on('error', (error) => (cause ??= error));
    client.on('notification', ({ channel, payload }) => this.deliver(channel, payload ?? ''));
    client.on('end', () => this.lost(client, cause ?? 'connection closed'));
    try {
      await client.connect();
      await client.query([...this.channels.keys()].map((channel) => `LISTEN "${channel}"`).join('; '));
    } catch (error) {
      this.lost(client, error);
      void client.end().catch(() => undefined);
      return;
    }
    if (this.client !== client) return;
    this.listening = true;
    this.retryDelay = RETRY_MIN_MS;
    if (this.down) this.logger.log('Listening for notifications again');
    this.down = false;
    this.resetAll();
  }

  private lost(client: pg.Client, cause: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    const wasListening = this.listening;
    this.listening = false;
    // Nothing more will be heard on this connection: no commit waits for it.
    for (const waiting of [...this.echoes.values()]) [...waiting].forEach((heard) => heard());
    if (!this.down) {
      this.logger.warn(`Not listening for notifications (${describe(cause)}): caches keep nothing until it listens again`);
      this.down = true;
    }
    if (wasListening) this.resetAll();
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => void this.connect(), this.retryDelay);
    this.retryTimer.unref();
    this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS);
  }

  private deliver(channel: string, payload: string): void {
    [...(this.echoes.get(`${channel}\u0000${payload}`) ?? [])].forEach((heard) => heard());
    for (const handlers of this.channels.get(channel) ?? []) this.guarded(() => handlers.message(payload));
  }

  private resetAll(): void {
    for (const list of this.channels.values()) for (const handlers of list) this.guarded(() => handlers.reset());
  }

  /** A listener's bug must not take the connection's event handling down with it. */
  private guarded(handle: () => void): void {
    try {
      handle();
    } catch (error) {
      this.logger.error(`A notification handler failed: ${describe(error)}`);
    }
  }

  /** The pool's own settings (see TypeORM's PostgresDriver.createPool), on a connection of its own. */
  private clientConfig(): pg.ClientConfig {
    const options = this.dataSource.options;
    if (options.type !== 'postgres') throw new Error(`DatabaseNotifications needs Postgres, not ${options.type}`);
    return {
      connectionString: options.url,
      host: options.host,
      port: options.port,
      user: options.username,
      password: options.password,
      database: options.database,
      // TypeORM types it as server-side TLS options but hands it to pg as it is, as this does.
      ssl: options.ssl as pg.ClientConfig['ssl'],
      connectionTimeoutMillis: options.connectTimeoutMS,
      ...(options.extra as pg.ClientConfig | undefined),
      application_name: LISTENER_APPLICATION_NAME,
      keepAlive: true,
    };
  }
}

function checkChannel(channel: string): void {
  if (!CHANNEL_NAME.test(channel)) throw new Error(`Invalid notification channel name: ${channel}`);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function endWithin(client: pg.Client, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([client.end().catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
