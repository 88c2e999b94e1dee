import { ConfigType, registerAs } from '@nestjs/config';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { parseDuration, readEnv, toSeconds } from './env.js';

export interface Limit {
  limit: number;
  /** Window in milliseconds. */
  ttl: number;
}

export const RATE_LIMIT_RULES = ['login', 'register', 'refresh', 'forgot', 'verify'] as const;
export type RateLimitRule = (typeof RATE_LIMIT_RULES)[number];

export const LIMIT = /^\s*\d+\s*\/\s*\d+\s*[smhd]?\s*$/;
export const limitMessage = (name: string) => `${name} must be a count per duration, such as 10/1m or 300/60s`;

/** `10/15m` → 10 requests per 15 minutes. */
export function parseLimit(text: string): Limit {
  const [count, window] = text.split('/');
  return { limit: Number(count.trim()), ttl: (parseDuration(window) ?? 0) * 1000 };
}

class RateLimitEnv {
  @IsIn(['on', 'off'], { message: 'RATE_LIMIT must be on or off' })
  RATE_LIMIT: string = 'on';

  @Matches(LIMIT, { message: limitMessage('RATE_LIMIT_GLOBAL') })
  RATE_LIMIT_GLOBAL: string = '600/1m';

  @Matches(LIMIT, { message: limitMessage('RATE_LIMIT_LOGIN_IP') })
  RATE_LIMIT_LOGIN_IP: string = '30/1m';

  @Matches(LIMIT, { message: limitMessage('RATE_LIMIT_LOGIN_ACCOUNT') })
  RATE_LIMIT_LOGIN_ACCOUNT: string = '10/1m';

  @Matches(LIMIT, { message: limitMessage('RATE_LIMIT_REGISTER_IP') })
  RATE_LIMIT_REGISTER_IP: string = '20/10m';

  @Matches(LIMIT, { message: limitMessage('RATE_LIMIT_REGISTER_ACCOUNT') })
  RATE_LIMIT_REGISTER_ACCOUNT: string = '3/10m';

  @Matches(LIMIT, { message: limitMessage('RATE_LIMIT_REFRESH_IP') })
  RATE_LIMIT_REFRESH_IP: string = '120/1m';

  @Matches(LIMIT, { message: limitMessage('RATE_LIMIT_REFRESH_ACCOUNT') })
  RATE_LIMIT_REFRESH_ACCOUNT: string = '20/1m';

  @Matches(LIMIT, { message: limitMessage('RATE_LIMIT_FORGOT_IP') })
  RATE_LIMIT_FORGOT_IP: string = '10/15m';

  @Matches(LIMIT, { message: limitMessage('RATE_LIMIT_FORGOT_ACCOUNT') })
  RATE_LIMIT_FORGOT_ACCOUNT: string = '3/15m';

  @Matches(LIMIT, { message: limitMessage('RATE_LIMIT_VERIFY_IP') })
  RATE_LIMIT_VERIFY_IP: string = '20/15m';

  @Matches(LIMIT, { message: limitMessage('RATE_LIMIT_VERIFY_ACCOUNT') })
  RATE_LIMIT_VERIFY_ACCOUNT: string = '5/15m';

  @IsInt()
  @Min(1)
  @Max(100)
  LOCKOUT_THRESHOLD: number = 5;

  @Transform(toSeconds)
  @IsInt({ message: 'LOCKOUT_BASE must be a duration such as 1m' })
  @Min(1)
  LOCKOUT_BASE: number = 60;

  @Transform(toSeconds)
  @IsInt({ message: 'LOCKOUT_MAX must be a duration such as 15m' })
  @Min(1)
  @Max(24 * 3600)
  LOCKOUT_MAX: number = 15 * 60;

  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  @Matches(/^[\w:.-]{0,64}$/, { message: 'REDIS_PREFIX must be up to 64 letters, digits, or : . _ -' })
  REDIS_PREFIX: string = 'auth:';

  @IsInt({ message: 'REDIS_TIMEOUT_MS must be a whole number of milliseconds' })
  @Min(10)
  @Max(10_000)
  REDIS_TIMEOUT_MS: number = 500;
}

export const rateLimitConfig = registerAs('rateLimit', () => {
  const env = readEnv(RateLimitEnv);
  const rule = (ip: string, account: string) => ({ ip: parseLimit(ip), account: parseLimit(account) });
  return {
    enabled: env.RATE_LIMIT === 'on',
    global: parseLimit(env.RATE_LIMIT_GLOBAL),
    rules: {
      login: rule(env.RATE_LIMIT_LOGIN_IP, env.RATE_LIMIT_LOGIN_ACCOUNT),
      register: rule(env.RATE_LIMIT_REGISTER_IP, env.RATE_LIMIT_REGISTER_ACCOUNT),
      refresh: rule(env.RATE_LIMIT_REFRESH_IP, env.RATE_LIMIT_REFRESH_ACCOUNT),
      forgot: rule(env.RATE_LIMIT_FORGOT_IP, env.RATE_LIMIT_FORGOT_ACCOUNT),
      verify: rule(env.RATE_LIMIT_VERIFY_IP, env.RATE_LIMIT_VERIFY_ACCOUNT),
    } satisfies Record<RateLimitRule, { ip: Limit; account: Limit }>,
    lockout: { threshold: env.LOCKOUT_THRESHOLD, baseMs: env.LOCKOUT_BASE * 1000, maxMs: env.LOCKOUT_MAX * 1000 },
    /** Unset: counters in memory (one instance). Set: shared by every instance. */
    redisUrl: env.REDIS_URL,
    /** Prepended to every key, so several deployments can share one Redis. */
    redisPrefix: env.REDIS_PREFIX,
    /** Longest wait for a Redis answer before the counters fall back to this instance's memory. */
    redisTimeoutMs: env.REDIS_TIMEOUT_MS,
  };
});

export type RateLimitConfig = ConfigType<typeof rateLimitConfig>;
