import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { SessionsService } from '../auth/sessions.service.js';
import { ApiException } from '../common/errors/api.exception.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { MfaNotices } from '../mfa/mfa-notices.js';
import { MfaService } from '../mfa/mfa.service.js';
import { PasskeysService } from '../passkeys/passkeys.service.js';
import { UsersService } from '../users/users.service.js';

/**
 * An admin clears someone's second factors (a lost phone and lost recovery codes): the authenticator
 * app, the recovery codes and the passkeys go, the account signs in with its password alone again,
 * its sessions end, and its address is told.
 */
@Injectable()
export class AdminMfaService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly mfa: MfaService,
    private readonly passkeys: PasskeysService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly notices: MfaNotices,
  ) {}

  async clear(id: string, admin: { id: string; client: ClientInfo }): Promise<void> {
    const email = await this.dataSource.transaction(async (manager) => {
      // The user row first, the lock order of every flow.
      const user = await this.users.lockById(manager, id);
      if (!user) throw new ApiException('not_found', 'User not found');
      const cleared = await this.mfa.clear(manager, id);
      const passkeys = await this.passkeys.removeAll(manager, id);
      if (!cleared.totp && cleared.recoveryCodes === 0 && passkeys === 0)
        throw new ApiException('mfa_not_enabled', 'This account has no second factor to clear');
      const ended = await this.sessions.endAll(manager, id, 'mfa_cleared');
      await this.audit.record(manager, {
        type: 'mfa_cleared_by_admin',
        userId: id,
        client: admin.client,
        detail: { by: admin.id, totp: cleared.totp, recoveryCodes: cleared.recoveryCodes, passkeys, sessionsEnded: ended },
      });
      return user.email;
    });
    this.notices.clearedByAdmin(email);
  }
}
