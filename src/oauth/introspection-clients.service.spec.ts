import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startMigratedDatabase, type MigratedDatabase } from '../../test/support/migrated-database.js';
import { AuditService } from '../audit/audit.service.js';
import type { OAuthConfig } from '../config/oauth.config.js';
import { IntrospectionClientsService } from './introspection-clients.service.js';

const comparisons = vi.hoisted(() => ({ count: 0 }));

vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  return {
    ...crypto,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      comparisons.count++;
      return crypto.timingSafeEqual(a, b);
    },
  };
});

const SECRET = '3f9c2a7d1e8b4c6a0f5d9e2b7c1a4f8e';
const OTHER_SECRET = 'b7e1d9c3a5f20846e1c7b9d3f5a2e8c4';

function config(clients: Array<{ id: string; secret: string }>): OAuthConfig {
  return {
    introspectionClients: clients.map(({ id, secret }) => ({ id, secretSha256: createHash('sha256').update(secret).digest() })),
    introspectionRateLimit: { limit: 6000, ttl: 60_000 },
    publicUrl: 'https://auth.example.com',
  };
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

const OPERATOR = { channel: 'cli', operator: 'ops' } as const;

describe(IntrospectionClientsService.name, () => {
  let database: MigratedDatabase;
  let clients: IntrospectionClientsService;
  const service = (entries: Array<{ id: string; secret: string }>) =>
    new IntrospectionClientsService(config(entries), database.dataSource, new AuditService(database.dataSource));

  beforeAll(async () => {
    database = await startMigratedDatabase();
    clients = service([
      { id: 'billing', secret: SECRET },
      { id: 'search', secret: OTHER_SECRET },
    ]);
  }, 60_000);

  afterAll(async () => {
    await database?.close();
  });

  beforeEach(() => {
    comparisons.count = 0;
  });

  it('should answer the id of a registered client with its own secret', async () => {
    expect(await clients.authenticate(basic('billing', SECRET))).toBe('billing');
    expect(await clients.authenticate(basic('search', OTHER_SECRET))).toBe('search');
  });

  it('should refuse another client’s secret, a near miss and a longer secret', async () => {
    expect(await clients.authenticate(basic('billing', OTHER_SECRET))).toBeUndefined();
    expect(await clients.authenticate(basic('billing', `${SECRET.slice(0, -1)}0`))).toBeUndefined();
    expect(await clients.authenticate(basic('billing', `${SECRET}0`))).toBeUndefined();
  });

  it('should spend one constant-time comparison on a known id and on an unknown one alike', async () => {
    expect(await clients.authenticate(basic('billing', OTHER_SECRET))).toBeUndefined();
    expect(comparisons.count).toBe(1);

    expect(await clients.authenticate(basic('nobody', SECRET))).toBeUndefined();
    expect(comparisons.count).toBe(2);
  });

  it('should refuse everyone when no client is registered', async () => {
    const none = service([]);

    expect(await none.authenticate(basic('billing', SECRET))).toBeUndefined();
    expect(comparisons.count).toBe(1);
  });

  it('should refuse a header that carries no Basic credentials, comparing nothing', async () => {
    expect(await clients.authenticate(undefined)).toBeUndefined();
    expect(await clients.authenticate(`Bearer ${SECRET}`)).toBeUndefined();
    expect(comparisons.count).toBe(0);
  });

  it('should authenticate a client added to the table with the secret it answered, and refuse it once removed', async () => {
    const secret = await clients.add('reports', OPERATOR);

    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await clients.authenticate(basic('reports', secret))).toBe('reports');
    expect(await clients.authenticate(basic('reports', SECRET))).toBeUndefined();
    expect(comparisons.count).toBe(2);

    await clients.remove('reports', OPERATOR);

    expect(await clients.authenticate(basic('reports', secret))).toBeUndefined();
    expect(comparisons.count).toBe(3);
  });

  it('should refuse to add or remove a configured client, or add an id twice', async () => {
    await expect(clients.add('billing', OPERATOR)).rejects.toThrow(/configured in INTROSPECTION_CLIENTS/);
    await expect(clients.remove('billing', OPERATOR)).rejects.toThrow(/configured in INTROSPECTION_CLIENTS/);
    await clients.add('twice', OPERATOR);
    await expect(clients.add('twice', OPERATOR)).rejects.toThrow(/already exists/);
    await expect(clients.remove('never-added', OPERATOR)).rejects.toThrow(/No introspection client/);
    await expect(clients.add('not valid!', OPERATOR)).rejects.toThrow();
  });
});
