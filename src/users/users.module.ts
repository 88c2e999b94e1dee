import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { User } from './entities/user.entity.js';
import { UserEvents } from './user-events.js';
import { UserListService } from './user-list.service.js';
import { UsersService } from './users.service.js';

/**
 * The users table: its entity, its services (UsersService; UserListService for the admin list), and the events that
 * announce its changes.
 */
@Module({
  imports: [TypeOrmModule.forFeature([User])],
  providers: [UsersService, UserListService, UserEvents],
  exports: [UsersService, UserListService, UserEvents],
})
export class UsersModule {}
