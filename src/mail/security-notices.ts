import { Inject, Injectable } from '@nestjs/common';
import type { ClientInfo } from '../common/request/client-info.js';
import { mailConfig, type MailConfig } from '../config/mail.config.js';
import { MailService } from './mail.service.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]);

/** The client by its User-Agent and its IP address, as far as they are known. */
function describeClient({ userAgent, ip }: ClientInfo): string {
  const agent = userAgent ? `"${userAgent}"` : 'an unknown client';
  return ip ? `${agent} at ${ip}` : agent;
}

/**
 * Mails that tell an account's address about a change to how the account signs in (its password,
 * its second factors, its passkeys): what changed, when, from where, and what to do if it was not
 * the owner. No link to follow and no secret in them.
 */
@Injectable()
export class SecurityNotices {
  constructor(
    private readonly mail: MailService,
    @Inject(mailConfig.KEY) private readonly config: MailConfig,
  ) {}

  /**
   * `change` is a sentence without its end: "The password of your account was changed". An account
   * without an email address (`to` null) is told nothing: there is nowhere to send it.
   */
  send(to: string | null, subject: string, change: string, client: ClientInfo, at = new Date()): void {
    this.sendNotice(to, subject, [
      `${change} on ${at.toUTCString()}, from ${describeClient(client)}.`,
      `If this wasn't you, choose a new password at once with "Forgot password" at ${this.config.appUrl} (that ends every session), and contact us.`,
    ]);
  }

  /** A mail without a link to follow or a secret in it, one paragraph per line. */
  sendNotice(to: string | null, subject: string, paragraphs: string[]): void {
    if (to === null) return;
    const text = paragraphs.join('\n\n');
    const html = paragraphs.map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`).join('\n');
    this.mail.send({ to, subject, text, html });
  }
}
