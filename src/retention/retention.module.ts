import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { MfaModule } from '../mfa/mfa.module.js';
import { IdentitiesModule } from '../identities/identities.module.js';
import { PasskeysModule } from '../passkeys/passkeys.module.js';
import { PurgeScheduler } from './purge-scheduler.js';
import { PurgeService } from './purge.service.js';

/** Deletes ended sessions, spent mail links and login challenges, and old audit events; each table's SQL stays with the folder that owns it. */
@Module({
  imports: [AuthModule, AuditModule, MfaModule, PasskeysModule, IdentitiesModule],
  providers: [PurgeService, PurgeScheduler],
  exports: [PurgeService],
})
export class RetentionModule {}
