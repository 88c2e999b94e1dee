import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { dictionary } from '@zxcvbn-ts/language-common';
import bcrypt from 'bcryptjs';
import { randomBytes } from 'node:crypto';
import { Piscina } from 'piscina';
import { usernameKey } from '../common/validation/username.js';
import { ApiException } from '../common/errors/api.exception.js';
import { authConfig, type AuthConfig } from '../config/auth.config.js';
import { MetricsService } from '../metrics/metrics.service.js';

/**
 * The most common passwords (49,233, from the zxcvbn-ts project's `passwords-common` list, built from
 * leaked password corpora), compared case-insensitively.
 */
const COMMON_PASSWORDS = new Set(dictionary['passwords-common'].map((password) => password.toLowerCase()));

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Hashes and checks passwords on a pool of worker threads, one per core (BCRYPT_THREADS), so logins
 * use every core and the event loop stays free for other requests.
 */
@Injectable()
export class PasswordService implements OnApplicationShutdown {
  /** A well-formed hash no password matches, at the configured cost: checking it costs what a real check costs. */
  private readonly dummyHash: string;
  private readonly pool: Piscina;

  constructor(
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
    metrics: MetricsService,
  ) {
    const filler = Array.from(randomBytes(31), (byte) => BCRYPT_ALPHABET[byte % 64]).join('');
    this.dummyHash = bcrypt.genSaltSync(config.bcryptCost) + filler;
    this.pool = new Piscina({
      filename: new URL('./password.worker.cjs', import.meta.url).href,
      minThreads: config.bcryptThreads,
      maxThreads: config.bcryptThreads,
      idleTimeout: Number.POSITIVE_INFINITY,
    });
    // A thread not yet started counts as busy: it cannot take a task either.
    metrics.readPasswordPool(() => {
      const threads = this.pool.threads.length;
      return { threads, busy: threads - this.pool.idleThreads, queued: this.pool.queueSize };
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.destroy();
  }

  /**
   * The policy beyond length (NIST SP 800-63B: no composition rules): not a common password, not the
   * email or its part before the @, not the username nor a password that holds it. Each refusal says why.
   */
  assertAcceptable(password: string, account: { email?: string | null; username?: string | null }, field = 'password'): void {
    const lowered = password.toLowerCase();
    if (COMMON_PASSWORDS.has(lowered)) {
      throw new ApiException('password_policy', [`${field} is too common: it is on a list of the most used passwords`]);
    }
    const { email, username } = account;
    if (email && (lowered === email.toLowerCase() || lowered === email.slice(0, email.lastIndexOf('@')).toLowerCase())) {
      throw new ApiException('password_policy', [`${field} must not be your email address or its name part`]);
    }
    if (username && lowered.normalize('NFKC').includes(usernameKey(username))) {
      throw new ApiException('password_policy', [`${field} must not be or contain your username`]);
    }
  }

  /** True when the hash was made at a lower cost than BCRYPT_COST now asks for. */
  needsRehash(hash: string): boolean {
    return bcrypt.getRounds(hash) < this.config.bcryptCost;
  }

  hash(password: string): Promise<string> {
    return this.pool.run({ password, cost: this.config.bcryptCost }, { name: 'hash' }) as Promise<string>;
  }

  /** Without a stored hash (unknown email) it still spends one full check, so timing tells nothing. */
  /** No hash (an unknown account, or one without a password) never matches, after the same work as a real one. */
  async verify(password: string, hash: string | null | undefined): Promise<boolean> {
    const matches = (await this.pool.run({ password, hash: hash ?? this.dummyHash }, { name: 'compare' })) as boolean;
    return typeof hash === 'string' && matches;
  }
}
