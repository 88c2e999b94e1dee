import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { User } from './entities/user.entity.js';
import { UserEvents } from './user-events.js';
import { UsersService } from './users.service.js';

/** The users table: its entity, its one service, and the events that announce its changes. */
@Module({
  imports: [TypeOrmModule.forFeature([User])],
  providers: [UsersService, UserEvents],
  exports: [UsersService, UserEvents],
})
export class UsersModule {}
