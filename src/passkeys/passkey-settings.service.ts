import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../common/request/auth-user.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { SecurityNotices } from '../mail/security-notices.js';
import type { RemovePasskeyDto } from './dto/remove-passkey.dto.js';
import type { Passkey } from './entities/passkey.entity.js';
import { OwnerConfirmationService } from './owner-confirmation.service.js';
import { PasskeysService } from './passkeys.service.js';

/** Renaming and removing the caller's passkeys; each change is audited and mailed to the account's address. */
@Injectable()
export class PasskeySettingsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly passkeys: PasskeysService,
    private readonly confirmation: OwnerConfirmationService,
    private readonly audit: AuditService,
    private readonly notices: SecurityNotices,
  ) {}

  async rename(auth: AuthUser, id: string, name: string, client: ClientInfo): Promise<Passkey> {
    const { passkey, previous, email } = await this.dataSource.transaction(async (manager) => {
      const user = await this.confirmation.hold(manager, auth);
      const before = await this.passkeys.getOwned(user.id, id, manager);
      const renamed = await this.passkeys.rename(manager, user.id, id, name);
      await this.audit.record(manager, { type: 'passkey_renamed', userId: user.id, client, detail: { passkeyId: id, name } });
      return { passkey: renamed, previous: before.name, email: user.email };
    });
    this.notices.send(
      email,
      'A passkey of your account was renamed',
      `The passkey "${previous}" of your account was renamed "${name}"`,
      client,
    );
    return passkey;
  }

  /** The owner confirms with the password or a second factor first; 404 before that for a passkey that is not theirs. */
  async remove(auth: AuthUser, id: string, proof: RemovePasskeyDto, client: ClientInfo): Promise<void> {
    await this.passkeys.getOwned(auth.user.id, id);
    await this.confirmation.confirm(auth.user.id, proof);
    const { name, email } = await this.dataSource.transaction(async (manager) => {
      const user = await this.confirmation.hold(manager, auth);
      const passkey = await this.passkeys.getOwned(user.id, id, manager);
      await this.passkeys.remove(manager, user.id, id);
      await this.audit.record(manager, {
        type: 'passkey_removed',
        userId: user.id,
        client,
        detail: { passkeyId: id, name: passkey.name, confirmedWith: proof.password !== undefined ? 'password' : 'code' },
      });
      return { name: passkey.name, email: user.email };
    });
    this.notices.send(
      email,
      'A passkey was removed from your account',
      `The passkey "${name}" was removed from your account and can no longer sign in to it`,
      client,
    );
  }
}
