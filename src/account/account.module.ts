import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { MailModule } from '../mail/mail.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccountMailer } from './account-mailer.js';
import { AccountController } from './account.controller.js';
import { AccountService } from './account.service.js';
import { EmailChangeService } from './email-change.service.js';
import { EmailVerificationService } from './email-verification.service.js';
import { PasswordSetupService } from './password-setup.service.js';
import { ProfileService } from './profile.service.js';
import { PasswordConfirmationService } from './password-confirmation.service.js';
import { PasswordRecoveryService } from './password-recovery.service.js';
import { RegistrationService } from './registration.service.js';

/** The account lifecycle: registration, email verification and change, password change and reset, deletion. */
@Module({
  imports: [AuthModule, UsersModule, AuditModule, MailModule, RateLimitModule],
  controllers: [AccountController],
  providers: [
    AccountMailer,
    AccountService,
    EmailChangeService,
    EmailVerificationService,
    PasswordConfirmationService,
    ProfileService,
    PasswordSetupService,
    PasswordRecoveryService,
    RegistrationService,
  ],
  exports: [PasswordRecoveryService],
})
export class AccountModule {}
