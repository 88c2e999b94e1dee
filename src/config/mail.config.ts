import { ConfigType, registerAs } from '@nestjs/config';
import { IsIn, IsNotEmpty, IsOptional, IsString, IsUrl, Matches } from 'class-validator';
import { readEnv } from './env.js';

export const MAIL_TRANSPORTS = ['smtp', 'outbox'] as const;
export type MailTransportName = (typeof MAIL_TRANSPORTS)[number];

class MailEnv {
  @IsOptional()
  @Matches(/^smtps?:\/\/\S+$/, {
    message: 'SMTP_URL must be an smtp:// or smtps:// URL, such as smtps://user:pass@smtp.example.com:465',
  })
  SMTP_URL?: string;

  @IsString()
  @IsNotEmpty()
  @Matches(/^[^\r\n]+$/, { message: 'MAIL_FROM must be one line' })
  MAIL_FROM: string = 'Auth service <no-reply@localhost>';

  @IsOptional()
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'APP_URL must be an http(s) URL such as https://app.example.com' },
  )
  APP_URL?: string;

  @IsOptional()
  @IsIn(MAIL_TRANSPORTS, { message: 'MAIL_TRANSPORT must be smtp or outbox' })
  MAIL_TRANSPORT?: MailTransportName;
}

export const mailConfig = registerAs('mail', () => {
  const production = process.env.NODE_ENV === 'production';
  const env = readEnv(MailEnv, process.env, (env) => mailProblems(env, production));
  const appUrl = env.APP_URL ?? `http://localhost:${process.env.PORT || 3000}`;
  // Chosen explicitly, it wins: MAIL_TRANSPORT=outbox keeps mail local even with SMTP_URL set.
  const transport: MailTransportName = env.MAIL_TRANSPORT ?? (env.SMTP_URL ? 'smtp' : 'outbox');
  return {
    /** `outbox`: each mail is a JSON file in DATA_DIR/outbox, not sent. */
    transport,
    /** Set exactly when the transport is smtp (mailProblems refuses smtp without it). */
    smtpUrl: transport === 'smtp' ? env.SMTP_URL : undefined,
    from: env.MAIL_FROM,
    /** The base of every link in a mail; never taken from a request's Host header. */
    appUrl: appUrl.replace(/\/+$/, ''),
  };
});

export type MailConfig = ConfigType<typeof mailConfig>;

function mailProblems(env: MailEnv, production: boolean): string[] {
  const problems: string[] = [];
  if (production && !env.APP_URL) problems.push('APP_URL is required when NODE_ENV=production (links in mails point to it)');
  if (env.MAIL_TRANSPORT === 'smtp' && !env.SMTP_URL) problems.push('SMTP_URL is required when MAIL_TRANSPORT=smtp');
  // A container's DATA_DIR is often not a volume: mail written there would be lost without a word.
  if (production && !env.MAIL_TRANSPORT && !env.SMTP_URL) {
    problems.push(
      'SMTP_URL is required when NODE_ENV=production (or set MAIL_TRANSPORT=outbox to write mail to DATA_DIR/outbox instead)',
    );
  }
  return problems;
}
