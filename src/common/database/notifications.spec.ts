import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DataSource, type EntityManager, type TransactionCommitEvent, type TransactionRollbackEvent } from 'typeorm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DatabaseNotifications, LISTENER_APPLICATION_NAME, type NotificationHandlers } from './notifications.js';

const QUIET = { message: () => undefined, reset: () => undefined };

/** A data source that records what is sent on it, or fails. */
function fakeDataSource(fail = false) {
  const queries: unknown[][] = [];
  const dataSource = {
    options: { type: 'postgres', url: 'postgres://nowhere.invalid/x' },
    subscribers: [] as unknown[],
    query: (sql: string, parameters: unknown[]) => {
      queries.push([sql, parameters]);
      return fail ? Promise.reject(new Error('connection refused')) : Promise.resolve([]);
    },
  };
  return { dataSource: dataSource as unknown as DataSource, queries, subscribers: dataSource.subscribers };
}

function fakeRunner() {
  const queries: unknown[][] = [];
  const runner = {
    isTransactionActive: true,
    data: {} as Record<string, unknown>,
    query: (sql: string, parameters: unknown[]) => {
      queries.push([sql, parameters]);
      return Promise.resolve([]);
    },
  };
  return { runner, queries, manager: { queryRunner: runner } as unknown as EntityManager };
}

describe(DatabaseNotifications.name, () => {
  afterEach(() => vi.restoreAllMocks());

  describe('on embedded storage (one process)', () => {
    it('should listen to nothing, send nothing, and count as connected', async () => {
      const { dataSource, queries, subscribers } = fakeDataSource();
      const notifications = new DatabaseNotifications(dataSource, { shared: false });
      const { manager, queries: inTransaction } = fakeRunner();

      notifications.listen('auth_identity', QUIET);
      await notifications.onModuleInit();
      notifications.notify(undefined, 'auth_identity', 'x');
      notifications.notify(manager, 'auth_identity', 'x');

      expect(notifications.connected).toBe(true);
      expect(queries).toEqual([]);
      expect(inTransaction).toEqual([]);
      expect(subscribers).toEqual([]);
      await notifications.onApplicationShutdown();
    });
  });

  describe('sending', () => {
    it('should send at once on the data source outside a transaction', async () => {
      const { dataSource, queries } = fakeDataSource();
      const notifications = new DatabaseNotifications(dataSource, { shared: true });

      notifications.notify(undefined, 'auth_identity', 's:1');
      await notifications.beforeApplicationShutdown();

      expect(queries).toEqual([['SELECT pg_notify($1, $2)', ['auth_identity', 's:1']]]);
    });

    it('should log a failed send instead of throwing it', async () => {
      const { dataSource } = fakeDataSource(true);
      const notifications = new DatabaseNotifications(dataSource, { shared: true });
      const error = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);

      expect(() => notifications.notify(undefined, 'auth_identity', 's:1')).not.toThrow();
      await notifications.beforeApplicationShutdown();

      expect(error).toHaveBeenCalledWith('Could not notify auth_identity: connection refused');
    });

    it('should queue in a transaction and send the queue in it before COMMIT', async () => {
      const { dataSource, queries, subscribers } = fakeDataSource();
      const notifications = new DatabaseNotifications(dataSource, { shared: true });
      const { runner, manager, queries: inTransaction } = fakeRunner();

      notifications.notify(manager, 'auth_identity', 's:1');
      notifications.notify(manager, 'signing_keys', 'k');
      expect(inTransaction).toEqual([]);
      await notifications.beforeTransactionCommit({ queryRunner: runner } as unknown as TransactionCommitEvent);

      expect(subscribers).toEqual([notifications]);
      expect(queries).toEqual([]);
      expect(inTransaction).toHaveLength(1);
      expect(inTransaction[0][1]).toEqual([
        ['auth_identity', 'signing_keys'],
        ['s:1', 'k'],
      ]);
      expect(runner.data).toEqual({});
    });

    it('should drop the queue when the transaction rolls back, and keep it when a savepoint does', async () => {
      const notifications = new DatabaseNotifications(fakeDataSource().dataSource, { shared: true });
      const { runner, manager, queries } = fakeRunner();

      notifications.notify(manager, 'auth_identity', 's:1');
      notifications.afterTransactionRollback({ queryRunner: runner } as unknown as TransactionRollbackEvent);
      expect(runner.data).not.toEqual({});

      runner.isTransactionActive = false;
      notifications.afterTransactionRollback({ queryRunner: runner } as unknown as TransactionRollbackEvent);
      await notifications.beforeTransactionCommit({ queryRunner: runner } as unknown as TransactionCommitEvent);

      expect(queries).toEqual([]);
    });

    it('should refuse a channel name that LISTEN would read differently', () => {
      const notifications = new DatabaseNotifications(fakeDataSource().dataSource, { shared: true });

      for (const channel of ['Auth', 'auth-identity', 'a"b', '', 'x'.repeat(64)]) {
        expect(() => notifications.notify(undefined, channel, 'p')).toThrow(/Invalid notification channel/);
        expect(() => notifications.listen(channel, QUIET)).toThrow(/Invalid notification channel/);
      }
    });

    it('should refuse a listener registered after module init (it would not be listened to)', async () => {
      const notifications = new DatabaseNotifications(fakeDataSource().dataSource, { shared: true });
      await notifications.onModuleInit();

      expect(() => notifications.listen('auth_identity', QUIET)).toThrow(/after module init/);
    });
  });

  // LISTEN/NOTIFY between connections needs a Postgres server: embedded PGlite serves one process.
  describe.runIf(process.env.DATABASE_URL)('on a Postgres server', () => {
    let dataSource: DataSource;

    beforeAll(async () => {
      dataSource = await new DataSource({ type: 'postgres', url: process.env.DATABASE_URL, connectTimeoutMS: 3000 }).initialize();
    });

    afterAll(async () => {
      await dataSource?.destroy();
    });

    /** A listener on a channel of its own (others may share this database), recording what it is told. */
    async function listening() {
      const channel = `spec_${randomBytes(6).toString('hex')}`;
      const heard: string[] = [];
      const handlers: NotificationHandlers = { message: (payload) => heard.push(payload), reset: () => heard.push('<reset>') };
      const notifications = new DatabaseNotifications(dataSource, { shared: true });
      notifications.listen(channel, handlers);
      await notifications.onModuleInit();
      const backends = () =>
        dataSource.query<Array<{ pid: number }>>('SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query = $2', [
          LISTENER_APPLICATION_NAME,
          `LISTEN "${channel}"`,
        ]);
      return { channel, heard, notifications, backends };
    }

    it('should deliver a notify sent in a transaction on commit only, and one sent outside at once', async () => {
      const { channel, heard, notifications } = await listening();
      try {
        expect(notifications.connected).toBe(true);
        expect(heard).toEqual(['<reset>']);

        await expect(
          dataSource.transaction(async (manager) => {
            notifications.notify(manager, channel, 'rolled back');
            await manager.query('SELECT 1');
            throw new Error('abort');
          }),
        ).rejects.toThrow('abort');
        await dataSource.transaction(async (manager) => {
          notifications.notify(manager, channel, 'committed');
          // Not before COMMIT: a notify sent early would be delivered now.
          await new Promise((resolve) => setTimeout(resolve, 200));
          expect(heard).toEqual(['<reset>']);
        });
        notifications.notify(undefined, channel, 'outside');

        await expect.poll(() => heard, { timeout: 5000 }).toEqual(['<reset>', 'committed', 'outside']);
      } finally {
        await notifications.onApplicationShutdown();
      }
    });

    it('should not let a committing transaction return before this process has heard its notifications', async () => {
      const { channel, heard, notifications } = await listening();
      try {
        for (let round = 0; round < 20; round++) {
          await dataSource.transaction((manager) => {
            notifications.notify(manager, channel, `round ${round}`);
            return Promise.resolve();
          });

          expect(heard.at(-1)).toBe(`round ${round}`);
        }
      } finally {
        await notifications.onApplicationShutdown();
      }
    });

    it('should reset when its connection is killed, listen again, and reset once more', async () => {
      vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
      const { channel, heard, notifications, backends } = await listening();
      try {
        const [before] = await backends();
        heard.length = 0;

        await dataSource.query('SELECT pg_terminate_backend($1)', [before.pid]);

        await expect.poll(() => heard, { timeout: 5000 }).toEqual(['<reset>', '<reset>']);
        expect(notifications.connected).toBe(true);
        const after = await backends();
        expect(after.map(({ pid }) => pid)).not.toContain(before.pid);
        expect(after).toHaveLength(1);
        notifications.notify(undefined, channel, 'again');
        await expect.poll(() => heard, { timeout: 5000 }).toEqual(['<reset>', '<reset>', 'again']);
      } finally {
        await notifications.onApplicationShutdown();
      }
    });

    it('should close its connection on shutdown and not come back', async () => {
      const { notifications, backends } = await listening();
      expect(await backends()).toHaveLength(1);

      await notifications.onApplicationShutdown();

      expect(notifications.connected).toBe(false);
      await expect.poll(backends, { timeout: 5000 }).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await backends()).toEqual([]);
    });
  });
});
