import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { MailModule } from '../mail/mail.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { UsersModule } from '../users/users.module.js';
import { LoginChallengesService } from './login-challenges.service.js';
import { MfaNotices } from './mfa-notices.js';
import { MfaController } from './mfa.controller.js';
import { MfaService } from './mfa.service.js';
import { ReauthenticationService } from './reauthentication.service.js';
import { RecoveryCodesService } from './recovery-codes.service.js';
import { TotpEnrolmentService } from './totp-enrolment.service.js';
import { TotpFactorsService } from './totp-factors.service.js';

/** Second factors: the authenticator app (TOTP), recovery codes, and the login's second step. */
@Module({
  imports: [AuthModule, UsersModule, AuditModule, MailModule, RateLimitModule],
  controllers: [MfaController],
  providers: [
    LoginChallengesService,
    MfaNotices,
    MfaService,
    ReauthenticationService,
    RecoveryCodesService,
    TotpEnrolmentService,
    TotpFactorsService,
  ],
  exports: [MfaService, MfaNotices, LoginChallengesService],
})
export class MfaModule {}
