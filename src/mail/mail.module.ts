import { Logger, Module } from '@nestjs/common';
import { join } from 'node:path';
import { appConfig, type AppConfig } from '../config/app.config.js';
import { mailConfig, type MailConfig } from '../config/mail.config.js';
import { MAIL_TRANSPORT } from './mail-message.js';
import { MailService } from './mail.service.js';
import { SecurityNotices } from './security-notices.js';
import { OutboxTransport } from './outbox.transport.js';
import { SmtpTransport } from './smtp.transport.js';

@Module({
  providers: [
    {
      provide: MAIL_TRANSPORT,
      inject: [mailConfig.KEY, appConfig.KEY],
      useFactory: (mail: MailConfig, app: AppConfig) => {
        if (mail.smtpUrl) return new SmtpTransport(mail.smtpUrl);
        const outbox = join(app.dataDir, 'outbox');
        if (app.isProduction) new Logger('Mail').warn(`MAIL_TRANSPORT=outbox: mail is written to ${outbox}, not sent`);
        return new OutboxTransport(outbox);
      },
    },
    MailService,
    SecurityNotices,
  ],
  exports: [MailService, SecurityNotices],
})
export class MailModule {}
