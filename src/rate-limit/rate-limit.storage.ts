import type { ThrottlerStorage } from '@nestjs/throttler';
import type { RedisFallbackService } from './redis-fallback.service.js';

/** Counts a hit in the window and blocks past the limit, atomically, so every instance shares the counters. */
const INCREMENT = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
local blocked = redis.call('PTTL', KEYS[2])
if blocked <= 0 and hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  blocked = tonumber(ARGV[3])
end
return { hits, ttl, blocked }`;

const PEEK = `return { tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1]) }`;

const REFUND = `
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end
return 0`;

/** Most windows kept in memory at once; the least recently used are forgotten first. */
const MEMORY_LIMIT = 100_000;

interface Window {
  hits: number;
  resetAt: number;
  blockedUntil: number;
}

/** Hits in the current window, and the ms until it ends (0: no window). */
export interface WindowState {
  hits: number;
  msToReset: number;
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

/**
 * The throttler's counters: fixed windows in Redis when it is configured and answering, in this
 * instance's memory otherwise (the same rules either way). Besides counting, a window can be looked
 * at without counting and a hit given back.
 */
export class RateLimitStorage implements ThrottlerStorage {
  private readonly memory = new Map<string, Window>();

  constructor(
    private readonly redis: RedisFallbackService,
    private readonly prefix: string,
  ) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string) {
    const id = this.id(throttlerName, key);
    const [hits, msToReset, msBlocked] = await this.redis.run(
      async (client) =>
        (await client.eval(INCREMENT, {
          keys: [id, `${id}:blocked`],
          arguments: [String(ttl), String(limit), String(blockDuration)],
        })) as [number, number, number],
      () => this.incrementInMemory(id, ttl, limit, blockDuration),
    );
    return { totalHits: hits, timeToExpire: seconds(msToReset), isBlocked: msBlocked > 0, timeToBlockExpire: seconds(msBlocked) };
  }

  async peek(key: string, throttlerName: string): Promise<WindowState> {
    const id = this.id(throttlerName, key);
    const [hits, msToReset] = await this.redis.run(
      async (client) => (await client.eval(PEEK, { keys: [id] })) as [number, number],
      () => {
        const now = Date.now();
        const window = this.counting(id, now);
        return [window?.hits ?? 0, window ? window.resetAt - now : 0];
      },
    );
    return { hits, msToReset: Math.max(0, msToReset) };
  }

  /** Takes back one hit of the current window (a block it already caused stays). */
  async refund(key: string, throttlerName: string): Promise<void> {
    const id = this.id(throttlerName, key);
    await this.redis.run(
      async (client) => void (await client.eval(REFUND, { keys: [id] })),
      () => {
        const window = this.counting(id, Date.now());
        if (window && window.hits > 0) window.hits--;
      },
    );
  }

  private incrementInMemory(id: string, ttl: number, limit: number, blockDuration: number): [number, number, number] {
    const now = Date.now();
    const window = this.live(id, now) ?? { hits: 0, resetAt: 0, blockedUntil: 0 };
    if (window.resetAt <= now) Object.assign(window, { hits: 0, resetAt: now + ttl });
    window.hits++;
    if (window.blockedUntil <= now && window.hits > limit) window.blockedUntil = now + blockDuration;
    this.memory.delete(id);
    this.memory.set(id, window);
    if (this.memory.size > MEMORY_LIMIT) this.memory.delete(this.memory.keys().next().value!);
    return [window.hits, window.resetAt - now, Math.max(0, window.blockedUntil - now)];
  }

  /** The window, unless both its count and its block have run out. */
  private live(id: string, now: number): Window | undefined {
    const window = this.memory.get(id);
    if (!window || window.resetAt > now || window.blockedUntil > now) return window;
    this.memory.delete(id);
    return undefined;
  }

  /** The window, while its count runs. */
  private counting(id: string, now: number): Window | undefined {
    const window = this.live(id, now);
    return window && window.resetAt > now ? window : undefined;
  }

  private id(throttlerName: string, key: string): string {
    return `${this.prefix}throttle:${throttlerName}:${key}`;
  }
}
