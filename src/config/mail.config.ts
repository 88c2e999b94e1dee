import { ConfigType, registerAs } from '@nestjs/config';
import { IsNotEmpty, IsOptional, IsString, IsUrl, Matches } from 'class-validator';
import { readEnv } from './env.js';

class MailEnv {
  @IsOptional()
  @Matches(/^smtps?:\/\/\S+$/, { message: 'SMTP_URL must be an smtp:// or smtps:// URL, such as smtps://user:pass@smtp.example.com:465' })
  SMTP_URL?: string;

  @IsString()
  @IsNotEmpty()
  @Matches(/^[^\r\n]+$/, { message: 'MAIL_FROM must be one line' })
  MAIL_FROM: string = 'Auth service <no-reply@localhost>';

  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }, { message: 'APP_URL must be an http(s) URL such as https://app.example.com' })
  APP_URL?: string;
}

export const mailConfig = registerAs('mail', () => {
  const env = readEnv(MailEnv);
  if (process.env.NODE_ENV === 'production' && !env.APP_URL) {
    throw new Error('Invalid configuration:\n  - APP_URL is required when NODE_ENV=production (links in mails point to it)');
  }
  const appUrl = env.APP_URL ?? `http://localhost:${process.env.PORT || 3000}`;
  return {
    /** Unset: mails go to the development outbox, DATA_DIR/outbox. */
    smtpUrl: env.SMTP_URL,
    from: env.MAIL_FROM,
    /** The base of every link in a mail; never taken from a request's Host header. */
    appUrl: appUrl.replace(/\/+$/, ''),
  };
});

export type MailConfig = ConfigType<typeof mailConfig>;
