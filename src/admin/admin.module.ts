import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { UsersModule } from '../users/users.module.js';
import { UsersController } from './users.controller.js';
import { AdminUsersService } from './admin-users.service.js';

/** User administration: list, inspect, change and delete accounts (admin role). */
@Module({
  imports: [UsersModule, AuditModule, AuthModule],
  controllers: [UsersController],
  providers: [AdminUsersService],
})
export class AdminModule {}
