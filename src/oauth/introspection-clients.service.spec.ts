import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
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

describe(IntrospectionClientsService.name, () => {
  const clients = new IntrospectionClientsService(
    config([
      { id: 'billing', secret: SECRET },
      { id: 'search', secret: OTHER_SECRET },
    ]),
  );

  beforeEach(() => {
    comparisons.count = 0;
  });

  it('should answer the id of a registered client with its own secret', () => {
    expect(clients.authenticate(basic('billing', SECRET))).toBe('billing');
    expect(clients.authenticate(basic('search', OTHER_SECRET))).toBe('search');
  });

  it('should refuse another client’s secret, a near miss and a longer secret', () => {
    expect(clients.authenticate(basic('billing', OTHER_SECRET))).toBeUndefined();
    expect(clients.authenticate(basic('billing', `${SECRET.slice(0, -1)}0`))).toBeUndefined();
    expect(clients.authenticate(basic('billing', `${SECRET}0`))).toBeUndefined();
  });

  it('should spend one constant-time comparison on a known id and on an unknown one alike', () => {
    expect(clients.authenticate(basic('billing', OTHER_SECRET))).toBeUndefined();
    expect(comparisons.count).toBe(1);

    expect(clients.authenticate(basic('nobody', SECRET))).toBeUndefined();
    expect(comparisons.count).toBe(2);
  });

  it('should refuse everyone when no client is registered', () => {
    const none = new IntrospectionClientsService(config([]));

    expect(none.authenticate(basic('billing', SECRET))).toBeUndefined();
    expect(comparisons.count).toBe(1);
  });

  it('should refuse a header that carries no Basic credentials, comparing nothing', () => {
    expect(clients.authenticate(undefined)).toBeUndefined();
    expect(clients.authenticate(`Bearer ${SECRET}`)).toBeUndefined();
    expect(comparisons.count).toBe(0);
  });
});
