import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { isUniqueViolation } from '../common/database/pg-errors.js';
import { ApiException } from '../common/errors/api.exception.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { authConfig, type AuthConfig } from '../config/auth.config.js';
import { SecurityNotices } from '../mail/security-notices.js';
import { PasskeysService } from '../passkeys/passkeys.service.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { Identity } from './entities/identity.entity.js';
import { ProviderRefusal, type ProviderProfile } from './provider-profile.js';

/**
 * The accounts at other providers linked to users here. An identity signs in to the user it is linked
 * to, matched by the provider's stable subject, never by an email: a first sign-in makes a new
 * account, and an existing account gains an identity only when its signed-in owner links it (an
 * attacker who registered someone's address first gets nothing when its owner later signs in with
 * Google: pre-account takeover).
 */
@Injectable()
export class IdentitiesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly passkeys: PasskeysService,
    private readonly audit: AuditService,
    private readonly notices: SecurityNotices,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
  ) {}

  listFor(userId: string): Promise<Identity[]> {
    return this.dataSource.manager.find(Identity, { where: { userId }, order: { linkedAt: 'ASC' } });
  }

  /**
   * The user this provider account signs in to, made on its first sign-in. Refused
   * (`oauth_email_in_use`) when the provider's verified address belongs to another account, and
   * (`oauth_email_required`) when REQUIRE_EMAIL is on and the provider vouches for no address.
   */
  async signIn(provider: string, profile: ProviderProfile, client: ClientInfo): Promise<User> {
    const known = await this.find(provider, profile.subject);
    if (known) return this.refreshed(known, profile);
    try {
      return await this.register(provider, profile, client);
    } catch (error) {
      // Two first sign-ins of one person at once: the other made the account; sign in to it.
      if (!isUniqueViolation(error)) throw error;
      const made = await this.find(provider, profile.subject);
      if (!made) throw error;
      return this.users.getById(made.userId);
    }
  }

  /** Links the provider account to the signed-in user; `identity_taken` when it signs in to someone else. */
  async link(userId: string, provider: string, profile: ProviderProfile, client: ClientInfo): Promise<void> {
    const email = await this.dataSource.transaction(async (manager) => {
      const user = await this.users.lockById(manager, userId);
      if (!user || user.disabledAt) throw new ProviderRefusal('account_disabled', 'The account to link to is gone or disabled');
      const existing = await manager.findOneBy(Identity, { provider, subject: profile.subject });
      if (existing && existing.userId !== userId)
        throw new ProviderRefusal('identity_taken', 'This account at the provider already signs in to another account');
      if (existing) return null;
      await manager.insert(Identity, this.identityOf(userId, provider, profile));
      await this.audit.record(manager, { type: 'identity_linked', userId, client, detail: { provider } });
      return user.email;
    });
    if (email)
      this.notices.send(
        email,
        `Sign-in with ${provider} was linked`,
        `Sign-in with ${provider} was linked to your account`,
        client,
      );
  }

  /**
   * Unlinks one of the user's identities; 404 when it is not theirs, 409 `last_sign_in_method` when
   * the account would be left with no way in (no password, no passkey, no other identity).
   */
  async unlink(userId: string, id: string, client: ClientInfo): Promise<void> {
    const { email, provider } = await this.dataSource.transaction(async (manager) => {
      const user = await this.users.lockByIdWithPassword(manager, userId);
      const identity = await manager.findOneBy(Identity, { id, userId });
      if (!user || !identity) throw new ApiException('not_found', 'No such linked account');
      const others = await manager.countBy(Identity, { userId });
      const passkeys = (await this.passkeys.listFor(userId, manager)).length;
      if (user.passwordHash === null && passkeys === 0 && others <= 1)
        throw new ApiException(
          'last_sign_in_method',
          'This is the only way into the account: set a password or add a passkey or another provider first',
        );
      await manager.delete(Identity, { id });
      await this.audit.record(manager, { type: 'identity_unlinked', userId, client, detail: { provider: identity.provider } });
      return { email: user.email, provider: identity.provider };
    });
    this.notices.send(
      email,
      `Sign-in with ${provider} was unlinked`,
      `Sign-in with ${provider} was unlinked from your account`,
      client,
    );
  }

  private find(provider: string, subject: string, manager: EntityManager = this.dataSource.manager): Promise<Identity | null> {
    return manager.findOneBy(Identity, { provider, subject });
  }

  /** The linked user; the identity keeps the address the provider gave last, for its owner to recognise it. */
  private async refreshed(identity: Identity, profile: ProviderProfile): Promise<User> {
    if (identity.email !== profile.email || identity.emailVerified !== profile.emailVerified)
      await this.dataSource.manager.update(Identity, identity.id, { email: profile.email, emailVerified: profile.emailVerified });
    return this.users.getById(identity.userId);
  }

  private async register(provider: string, profile: ProviderProfile, client: ClientInfo): Promise<User> {
    const email = profile.emailVerified ? profile.email : null;
    if (email && (await this.users.findByEmail(email)))
      throw new ProviderRefusal(
        'oauth_email_in_use',
        'An account already uses this email address: sign in to it, then link this provider from the account page',
      );
    if (!email && this.config.requireEmail)
      throw new ProviderRefusal(
        'oauth_email_required',
        'The provider did not give a verified email address, which this service requires',
      );
    return this.dataSource.transaction(async (manager) => {
      let user: User;
      try {
        user = await this.users.create(manager, { email, passwordHash: null, name: profile.name, emailVerified: email !== null });
      } catch (error) {
        if (error instanceof ApiException && error.code === 'email_taken')
          throw new ProviderRefusal('oauth_email_in_use', 'An account already uses this email address');
        throw error;
      }
      await manager.insert(Identity, this.identityOf(user.id, provider, profile));
      await this.audit.record(manager, { type: 'register', userId: user.id, client, detail: { method: 'oauth', provider } });
      return user;
    });
  }

  private identityOf(userId: string, provider: string, profile: ProviderProfile): Partial<Identity> {
    return { userId, provider, subject: profile.subject, email: profile.email, emailVerified: profile.emailVerified };
  }
}
