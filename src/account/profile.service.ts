import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { ApiException } from '../common/errors/api.exception.js';
import type { ClientInfo } from '../common/request/client-info.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { UpdateProfileDto } from './dto/update-profile.dto.js';

/**
 * The caller's name and username. A new username takes effect at once and the old one is free for
 * anyone from that moment; removing it is refused to an account without an email, which would be
 * left with no name to sign in with.
 */
@Injectable()
export class ProfileService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly audit: AuditService,
  ) {}

  async update(userId: string, { name, username }: UpdateProfileDto, client: ClientInfo): Promise<User> {
    return this.dataSource.transaction(async (manager) => {
      const user = await this.users.lockById(manager, userId);
      if (!user) throw new ApiException('session_ended', 'Session has ended');
      if (name !== undefined) await this.users.setName(manager, userId, name);
      if (username !== undefined && username !== user.username) {
        if (username === null && user.email === null)
          throw new ApiException('username_required', 'This account has no email address: its username is how it signs in');
        await this.users.setUsername(manager, userId, username);
        await this.audit.record(manager, { type: 'username_changed', userId, client, detail: { removed: username === null } });
      }
      return this.users.getById(userId, manager);
    });
  }
}
