import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { MfaModule } from '../mfa/mfa.module.js';
import { PasskeysModule } from '../passkeys/passkeys.module.js';
import { SigningKeysModule } from '../signing-keys/signing-keys.module.js';
import { UsersModule } from '../users/users.module.js';
import { SigningKeysController } from './signing-keys.controller.js';
import { UsersController } from './users.controller.js';
import { AdminSessionsService } from './admin-sessions.service.js';
import { AdminMfaService } from './admin-mfa.service.js';
import { AdminUsersService } from './admin-users.service.js';

/** Administration (admin role): list, inspect, change and delete accounts, clear their second factors; rotate and revoke signing keys. */
@Module({
  imports: [UsersModule, AuditModule, AuthModule, MfaModule, PasskeysModule, SigningKeysModule],
  controllers: [UsersController, SigningKeysController],
  providers: [AdminUsersService, AdminMfaService, AdminSessionsService],
  exports: [AdminUsersService],
})
export class AdminModule {}
