import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AuthMethod } from '../common/request/auth-methods.js';
import type { ClientInfo } from '../common/request/client-info.js';
import type { User } from '../users/entities/user.entity.js';

/** What a login that needs a second step answers instead of tokens. */
export interface SecondStepChallenge {
  /** Spent at the feature's own route, with a code, for the session. */
  mfaToken: string;
  /** How the second step can be passed, e.g. `totp`, `recovery_code`. */
  methods: string[];
}

/**
 * A feature above auth (second factors) that may hold a login back after its password was right.
 * auth cannot import it, so the feature registers here at construction (as `UserEvents` subscribers do).
 */
export interface SecondStepHandler {
  /** Whether the user must pass a second step after the password (read outside the login's transaction). */
  isRequired(userId: string): Promise<boolean>;
  /**
   * In the login's transaction, the user row locked: a challenge when a second step is required, else
   * null. `firstMethod` is how the first step was made (a password, or a provider sign-in).
   */
  challenge(
    manager: EntityManager,
    user: User,
    client: ClientInfo,
    cookieMode: boolean,
    firstMethod: AuthMethod,
  ): Promise<SecondStepChallenge | null>;
}

/** The registry the login asks, after the password, whether a second step is needed. */
@Injectable()
export class LoginSecondStep {
  private readonly handlers: SecondStepHandler[] = [];

  register(handler: SecondStepHandler): void {
    this.handlers.push(handler);
  }

  async isRequired(userId: string): Promise<boolean> {
    for (const handler of this.handlers) if (await handler.isRequired(userId)) return true;
    return false;
  }

  async challenge(
    manager: EntityManager,
    user: User,
    client: ClientInfo,
    cookieMode: boolean,
    firstMethod: AuthMethod = 'pwd',
  ): Promise<SecondStepChallenge | null> {
    for (const handler of this.handlers) {
      const challenge = await handler.challenge(manager, user, client, cookieMode, firstMethod);
      if (challenge) return challenge;
    }
    return null;
  }
}
