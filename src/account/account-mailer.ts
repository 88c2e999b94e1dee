import { Inject, Injectable } from '@nestjs/common';
import type { ClientInfo } from '../common/request/client-info.js';
import { authConfig, type AuthConfig } from '../config/auth.config.js';
import { mailConfig, type MailConfig } from '../config/mail.config.js';
import type { MailMessage } from '../mail/mail-message.js';
import { MailService } from '../mail/mail.service.js';
import { escapeHtml, SecurityNotices } from '../mail/security-notices.js';

/** 1800 → "30 minutes", 86400 → "24 hours". */
function describe(seconds: number): string {
  const [count, unit] = seconds % 3600 === 0 ? [seconds / 3600, 'hour'] : [Math.round(seconds / 60), 'minute'];
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/** The page of APP_URL that takes a password reset link's token. */
const RESET_PASSWORD_PATH = '/reset-password';

interface LinkMail {
  to: string;
  subject: string;
  intro: string;
  action: string;
  path: string;
  token: string;
  validFor: number;
  outro: string;
}

/** The account mails. Links are built from APP_URL only, never from a request's Host header. */
@Injectable()
export class AccountMailer {
  constructor(
    private readonly mail: MailService,
    private readonly notices: SecurityNotices,
    @Inject(mailConfig.KEY) private readonly config: MailConfig,
    @Inject(authConfig.KEY) private readonly auth: AuthConfig,
  ) {}

  verifyEmail(to: string, token: string): void {
    this.sendLink({
      to,
      token,
      validFor: this.auth.oneTimeTokenTtl.verify_email,
      subject: 'Verify your email address',
      intro: 'Please confirm that this is your email address.',
      action: 'Verify my email',
      path: '/verify-email',
      outro: 'If you did not create an account, you can ignore this mail.',
    });
  }

  resetPassword(to: string, token: string): void {
    this.sendLink({
      to,
      token,
      validFor: this.auth.oneTimeTokenTtl.reset_password,
      subject: 'Reset your password',
      intro: 'Someone asked to reset the password of your account.',
      action: 'Choose a new password',
      path: RESET_PASSWORD_PATH,
      outro: 'If it was not you, ignore this mail: your password stays as it is.',
    });
  }

  /** The link a reset mail carries, for an operator to hand over another way. */
  resetPasswordLink(token: string): string {
    return this.link(RESET_PASSWORD_PATH, token);
  }

  confirmEmailChange(to: string, token: string): void {
    this.sendLink({
      to,
      token,
      validFor: this.auth.oneTimeTokenTtl.change_email,
      subject: 'Confirm your new email address',
      intro: 'Your account asked to use this address from now on.',
      action: 'Use this address',
      path: '/confirm-email',
      outro: 'If you did not ask for this, ignore this mail: nothing changes.',
    });
  }

  emailChanged(to: string | null, newEmail: string): void {
    this.notices.sendNotice(to, 'Your email address was changed', [
      `The email address of your account was changed to ${newEmail}.`,
      'If you did not do this, contact us at once.',
    ]);
  }

  /** After a password change or reset: the account address hears of it, with when and from where. */
  passwordChanged(to: string | null, client: ClientInfo, how: 'changed' | 'reset' = 'changed', at = new Date()): void {
    const what = how === 'reset' ? 'was reset with a link mailed to this address' : 'was changed';
    this.notices.send(to, 'Your password was changed', `The password of your account ${what}`, client, at);
  }

  private link(path: string, token: string): string {
    return `${this.config.appUrl}${path}?token=${token}`;
  }

  private sendLink({ to, subject, intro, action, path, token, validFor, outro }: LinkMail): void {
    const link = this.link(path, token);
    const text = [
      intro,
      '',
      `${action}: ${link}`,
      '',
      `Or enter this code: ${token}`,
      '',
      `The link works once, for ${describe(validFor)}.`,
      outro,
    ].join('\n');
    const html = [
      `<p>${escapeHtml(intro)}</p>`,
      `<p><a href="${escapeHtml(link)}">${escapeHtml(action)}</a></p>`,
      `<p>Or enter this code: <code>${escapeHtml(token)}</code></p>`,
      `<p>The link works once, for ${describe(validFor)}. ${escapeHtml(outro)}</p>`,
    ].join('\n');
    const message: MailMessage = { to, subject, text, html };
    this.mail.send(message);
  }
}
