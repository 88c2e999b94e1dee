import { Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AccountModule } from './account/account.module.js';
import { AdminModule } from './admin/admin.module.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { AllExceptionsFilter } from './common/filters/all-exceptions.filter.js';
import { createValidationPipe } from './common/pipes/validation.pipe.js';
import { rootConfigModule } from './config/validate-config.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { MfaModule } from './mfa/mfa.module.js';
import { OAuthModule } from './oauth/oauth.module.js';
import { IdentitiesModule } from './identities/identities.module.js';
import { PasskeysModule } from './passkeys/passkeys.module.js';
import { RetentionModule } from './retention/retention.module.js';
import { UsersModule } from './users/users.module.js';
import { WebModule } from './web/web.module.js';

@Module({
  imports: [
    rootConfigModule(),
    DatabaseModule,
    MetricsModule,
    AdminModule,
    UsersModule,
    AuthModule,
    AccountModule,
    MfaModule,
    AuditModule,
    HealthModule,
    OAuthModule,
    PasskeysModule,
    IdentitiesModule,
    RetentionModule,
    WebModule,
  ],
  providers: [
    { provide: APP_PIPE, useFactory: createValidationPipe },
    { provide: APP_FILTER, useClass: AllExceptionsFilter },
  ],
})
export class AppModule {}
