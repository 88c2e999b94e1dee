import { Inject, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { COMMAND_LINE } from '../common/command-line.js';
import { ApiException } from '../common/errors/api.exception.js';
import { authConfig, type AuthConfig } from '../config/auth.config.js';
import { maskEmail } from '../common/logging/mask.js';
import { Role } from '../common/request/role.enum.js';
import { UsersService } from '../users/users.service.js';
import { PasswordService } from './password.service.js';

/**
 * With ADMIN_EMAIL and ADMIN_PASSWORD set, that account exists and is an admin after boot. An account
 * that already has the address gains the role only if it has proven it owns it: verified email and
 * ADMIN_PASSWORD as its password. Otherwise the start stops: someone may have registered the address
 * first, hoping to be made admin.
 */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminBootstrapService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
    @Optional() @Inject(COMMAND_LINE) private readonly commandLine: boolean = false,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const admin = this.config.admin;
    if (!admin || this.commandLine) return;
    const existing = await this.users.findByEmailWithPassword(admin.email);
    if (existing) {
      if (existing.roles.includes(Role.Admin)) return;
      const proven = existing.emailVerifiedAt !== null && (await this.passwords.verify(admin.password, existing.passwordHash));
      if (!proven) {
        throw new Error(
          `ADMIN_EMAIL ${admin.email} belongs to an account that is not an admin and has not proven it is yours ` +
            '(verified email and ADMIN_PASSWORD as its password); refusing to make it admin',
        );
      }
      await this.users.addRole(existing, Role.Admin);
      this.logger.log(`Gave the admin role to ${maskEmail(admin.email)}`);
      return;
    }
    try {
      this.passwords.assertAcceptable(admin.password, { email: admin.email }, 'ADMIN_PASSWORD');
    } catch {
      throw new Error('Invalid configuration:\n  - ADMIN_PASSWORD is too common, or equals ADMIN_EMAIL or its name part');
    }
    try {
      const passwordHash = await this.passwords.hash(admin.password);
      await this.users.create(this.dataSource.manager, {
        email: admin.email,
        passwordHash,
        name: 'Administrator',
        roles: [Role.User, Role.Admin],
      });
      this.logger.log(`Created the admin account ${maskEmail(admin.email)}`);
    } catch (error) {
      // Another instance created it at the same moment.
      if (!(error instanceof ApiException && error.code === 'email_taken')) throw error;
    }
  }
}
