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
