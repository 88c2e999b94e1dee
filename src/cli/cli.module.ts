import { Global, Module } from '@nestjs/common';
import { AccountModule } from '../account/account.module.js';
import { AdminModule } from '../admin/admin.module.js';
import { AuditModule } from '../audit/audit.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { COMMAND_LINE } from '../common/command-line.js';
import { rootConfigModule } from '../config/validate-config.js';
import { DatabaseModule, REFUSE_PENDING_MIGRATIONS } from '../database/database.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { OAuthModule } from '../oauth/oauth.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { RetentionModule } from '../retention/retention.module.js';
import { KEYS_COMMAND } from '../signing-keys/signing-keys.service.js';
import { SigningKeysModule } from '../signing-keys/signing-keys.module.js';
import { UsersModule } from '../users/users.module.js';

/**
 * What makes this process a command and not the service: the schema is left as it is (pending
 * migrations refuse the start), the signing keys keep no schedule, and the service's own start-up work
 * is skipped. Global, so the feature modules that read these tokens see them.
 */
@Global()
@Module({
  providers: [
    { provide: REFUSE_PENDING_MIGRATIONS, useValue: true },
    { provide: KEYS_COMMAND, useValue: true },
    { provide: COMMAND_LINE, useValue: true },
  ],
  exports: [REFUSE_PENDING_MIGRATIONS, KEYS_COMMAND, COMMAND_LINE],
})
class CommandLineModule {}

/** The services the admin commands use, without the HTTP server (controllers are never served in an application context). */
@Module({
  imports: [
    rootConfigModule(),
    CommandLineModule,
    DatabaseModule,
    // The services count into it; nothing here serves or scrapes it.
    MetricsModule,
    UsersModule,
    AuditModule,
    SigningKeysModule,
    AuthModule,
    RateLimitModule,
    AccountModule,
    AdminModule,
    OAuthModule,
    RetentionModule,
  ],
})
export class CliModule {}
