export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Where mail goes: an SMTP server, or the development outbox. */
export interface MailTransport {
  readonly name: string;
  deliver(message: MailMessage & { from: string }): Promise<string>;
}

export const MAIL_TRANSPORT = Symbol('MAIL_TRANSPORT');

/** `ada@example.com` → `a***@example.com`: enough to follow a log, not to collect addresses. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at > 0 ? `${email[0]}***${email.slice(at)}` : '***';
}
