import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { ClientInfo } from '../common/request/client-info.js';
import type { RegisterDto } from './dto/register.dto.js';
import { TokenResponseDto } from '../auth/dto/token-response.dto.js';
import { PasswordService } from '../auth/password.service.js';
import { SessionsService } from '../auth/sessions.service.js';
import { authConfig, type AuthConfig } from '../config/auth.config.js';
import { UserResponseDto } from '../users/dto/user-response.dto.js';
import { UsersService } from '../users/users.service.js';
import { ApiException } from '../common/errors/api.exception.js';
import type { RegistrationPendingDto } from './dto/registration-response.dto.js';
import { EmailVerificationService } from './email-verification.service.js';

@Injectable()
export class RegistrationService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionsService,
    private readonly emailVerification: EmailVerificationService,
    private readonly audit: AuditService,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
  ) {}

  /** Creates the account and mails a verification link; a session starts at once unless verification is required. */
  async register(
    { email, username, password, name }: RegisterDto,
    client: ClientInfo,
  ): Promise<TokenResponseDto | RegistrationPendingDto> {
    if (this.config.requireEmail && email === undefined)
      throw new ApiException('validation_failed', ['email is required: this service needs an email address for every account']);
    this.passwords.assertAcceptable(password, { email, username });
    const passwordHash = await this.passwords.hash(password);
    const { user, tokens, sendVerification } = await this.dataSource.transaction(async (manager) => {
      const user = await this.users.create(manager, {
        email: email ?? null,
        username: username ?? null,
        passwordHash,
        name: name ?? null,
      });
      await this.audit.record(manager, { type: 'register', userId: user.id, client });
      const sendVerification = await this.emailVerification.prepare(manager, user);
      const tokens = this.config.requireEmailVerification ? null : await this.sessions.start(manager, user, client, ['pwd']);
      return { user, tokens, sendVerification };
    });
    sendVerification();
    if (tokens) return tokens;
    return { user: UserResponseDto.from(user), message: 'Check your mail to verify your email address, then log in' };
  }
}
