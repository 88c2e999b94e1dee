import { Injectable } from '@nestjs/common';
import type { ClientInfo } from '../common/request/client-info.js';
import { SecurityNotices } from '../mail/security-notices.js';

/** The mails to the account address about its second factors; none carries a code or a secret. */
@Injectable()
export class MfaNotices {
  constructor(private readonly notices: SecurityNotices) {}

  totpEnabled(to: string | null, client: ClientInfo): void {
    this.notices.send(
      to,
      'Two-step verification is on',
      'An authenticator app was added to your account, and signing in now asks for its code; your other sessions were ended',
      client,
    );
  }

  totpDisabled(to: string | null, client: ClientInfo): void {
    this.notices.send(
      to,
      'Two-step verification is off',
      'The authenticator app of your account was removed, and signing in no longer asks for a code',
      client,
    );
  }

  recoveryCodesRegenerated(to: string | null, client: ClientInfo): void {
    this.notices.send(
      to,
      'New recovery codes',
      'New recovery codes were made for your account, and the previous ones no longer work',
      client,
    );
  }

  recoveryCodeUsed(to: string | null, left: number, client: ClientInfo): void {
    const remaining = left === 0 ? 'none is left: make new ones' : `${left} ${left === 1 ? 'is' : 'are'} left`;
    this.notices.send(
      to,
      'A recovery code was used',
      `A recovery code was used to sign in to your account (${remaining})`,
      client,
    );
  }

  /** Not from where: the client is the administrator's. */
  clearedByAdmin(to: string | null, at = new Date()): void {
    this.notices.sendNotice(to, 'Two-step verification was reset', [
      `An administrator removed the second factors of your account (authenticator app, recovery codes and passkeys) and ended its sessions on ${at.toUTCString()}.`,
      'Sign in with your password, then set up two-step verification again. If you did not ask for this, contact us.',
    ]);
  }
}
