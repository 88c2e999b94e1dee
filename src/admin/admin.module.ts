import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { SigningKeysModule } from '../signing-keys/signing-keys.module.js';
import { UsersModule } from '../users/users.module.js';
import { SigningKeysController } from './signing-keys.controller.js';
import { UsersController } from './users.controller.js';
import { AdminUsersService } from './admin-users.service.js';

/** Administration (admin role): list, inspect, change and delete accounts; rotate and revoke signing keys. */
@Module({
  imports: [UsersModule, AuditModule, AuthModule, SigningKeysModule],
  controllers: [UsersController, SigningKeysController],
  providers: [AdminUsersService],
  exports: [AdminUsersService],
})
export class AdminModule {}
