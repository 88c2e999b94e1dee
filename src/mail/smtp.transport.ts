import nodemailer, { type Transporter } from 'nodemailer';
import type { MailMessage, MailTransport } from './mail-message.js';

/** Delivers through the SMTP server named by SMTP_URL. */
export class SmtpTransport implements MailTransport {
  readonly name = 'smtp';
  private readonly transporter: Transporter;

  constructor(url: string) {
    this.transporter = nodemailer.createTransport({
      url,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
  }

  async deliver(message: MailMessage & { from: string }): Promise<string> {
    const info = (await this.transporter.sendMail(message)) as { messageId?: string };
    return info.messageId ?? 'sent';
  }
}
