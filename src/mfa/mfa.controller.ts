import { Body, Controller, Delete, Get, Header, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Transport, type TokenTransport } from '../auth/decorators/token-transport.decorator.js';
import { TokenResponseDto } from '../auth/dto/token-response.dto.js';
import { RefreshCookieService } from '../auth/refresh-cookie.service.js';
import { ApiErrors } from '../common/openapi/api-errors.decorator.js';
import type { AuthUser } from '../common/request/auth-user.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { Client } from '../common/request/client.decorator.js';
import { CurrentUser } from '../common/request/current-user.decorator.js';
import { Public } from '../common/request/public.decorator.js';
import { RateLimit } from '../rate-limit/rate-limit.decorator.js';
import { CodeDto } from './dto/code.dto.js';
import { MfaStatusResponseDto } from './dto/mfa-status-response.dto.js';
import { PasswordAndCodeDto } from './dto/password-and-code.dto.js';
import { PasswordDto } from './dto/password.dto.js';
import { RecoveryCodesResponseDto } from './dto/recovery-codes-response.dto.js';
import { TotpSetupResponseDto } from './dto/totp-setup-response.dto.js';
import { VerifyMfaDto } from './dto/verify-mfa.dto.js';
import { LoginChallengesService } from './login-challenges.service.js';
import { MfaService } from './mfa.service.js';
import { TotpEnrolmentService } from './totp-enrolment.service.js';

const WRONG_PASSWORD = { description: 'The password is incorrect' };
const ALREADY_ON = { description: 'Two-step verification is already on' };

@ApiTags('mfa')
@Controller('auth/mfa')
export class MfaController {
  constructor(
    private readonly enrolment: TotpEnrolmentService,
    private readonly challenges: LoginChallengesService,
    private readonly mfa: MfaService,
    private readonly cookies: RefreshCookieService,
  ) {}

  @Get()
  @ApiOperation({ summary: "Whether the caller's account has two-step verification on, and how many recovery codes are left" })
  @ApiOkResponse({ type: MfaStatusResponseDto })
  status(@CurrentUser() auth: AuthUser): Promise<MfaStatusResponseDto> {
    return this.mfa.status(auth.user.id);
  }

  @RateLimit('login')
  @Post('totp/setup')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Start setting up an authenticator app: a new secret and its QR code; nothing changes until it is confirmed',
  })
  @ApiOkResponse({ type: TotpSetupResponseDto })
  @ApiForbiddenResponse(WRONG_PASSWORD)
  @ApiConflictResponse(ALREADY_ON)
  @ApiErrors('password_incorrect', 'mfa_already_enabled', 'account_locked', 'conflict')
  setup(@CurrentUser() auth: AuthUser, @Body() body: PasswordDto): Promise<TotpSetupResponseDto> {
    return this.enrolment.setup(auth, body.password);
  }

  @RateLimit('login')
  @Post('totp/confirm')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary:
      'Turn the authenticator app on with a code from it: answers the recovery codes (shown once); every other session ends',
  })
  @ApiOkResponse({ type: RecoveryCodesResponseDto })
  @ApiUnauthorizedResponse({ description: 'The code is wrong' })
  @ApiConflictResponse({ description: 'Already on, or no setup to confirm' })
  @ApiErrors('mfa_code_incorrect', 'mfa_already_enabled', 'mfa_not_enabled')
  async confirm(
    @CurrentUser() auth: AuthUser,
    @Body() body: CodeDto,
    @Client() client: ClientInfo,
  ): Promise<RecoveryCodesResponseDto> {
    return { recoveryCodes: await this.enrolment.confirm(auth, body.code, client) };
  }

  @RateLimit('login')
  @Delete('totp')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Turn the authenticator app off (password and a code, or a recovery code); the recovery codes go too',
  })
  @ApiNoContentResponse()
  @ApiForbiddenResponse(WRONG_PASSWORD)
  @ApiConflictResponse({ description: 'Two-step verification is not on' })
  @ApiErrors('password_incorrect', 'mfa_code_incorrect', 'mfa_not_enabled', 'account_locked', 'conflict')
  disable(@CurrentUser() auth: AuthUser, @Body() body: PasswordAndCodeDto, @Client() client: ClientInfo): Promise<void> {
    return this.enrolment.disable(auth, body.password, body.code, client);
  }

  @RateLimit('login')
  @Post('recovery-codes')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'New recovery codes (shown once); the old ones stop working' })
  @ApiOkResponse({ type: RecoveryCodesResponseDto })
  @ApiForbiddenResponse(WRONG_PASSWORD)
  @ApiConflictResponse({ description: 'Two-step verification is not on' })
  @ApiErrors('password_incorrect', 'mfa_code_incorrect', 'mfa_not_enabled', 'account_locked', 'conflict')
  async regenerateRecoveryCodes(
    @CurrentUser() auth: AuthUser,
    @Body() body: PasswordAndCodeDto,
    @Client() client: ClientInfo,
  ): Promise<RecoveryCodesResponseDto> {
    return { recoveryCodes: await this.enrolment.regenerateRecoveryCodes(auth, body.password, body.code, client) };
  }

  @Public()
  @RateLimit('login')
  @Post('verify')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: "The login's second step: the login's mfaToken and a code (authenticator app or recovery code) start the session",
    description: 'Cookie mode (X-Token-Transport: cookie) works as at login, and must be used if the login used it',
  })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiUnauthorizedResponse({ description: 'The code is wrong, or the mfaToken is dead (expired, spent, 5 wrong codes)' })
  @ApiErrors('mfa_code_invalid', 'mfa_token_invalid', 'account_locked')
  async verify(
    @Body() body: VerifyMfaDto,
    @Client() client: ClientInfo,
    @Transport() transport: TokenTransport,
  ): Promise<TokenResponseDto> {
    const tokens = await this.challenges.verify(body.mfaToken, body.code, client, transport.cookieMode);
    return this.cookies.deliver(transport, tokens);
  }
}
