import { Body, Controller, Delete, Header, HttpCode, HttpStatus, Patch, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { AuthUser } from '../common/request/auth-user.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { Client } from '../common/request/client.decorator.js';
import { CurrentUser } from '../common/request/current-user.decorator.js';
import { Public } from '../common/request/public.decorator.js';
import { Transport, type TokenTransport } from '../auth/decorators/token-transport.decorator.js';
import { RegisterDto } from './dto/register.dto.js';
import { RefreshCookieService } from '../auth/refresh-cookie.service.js';
import { TokenResponseDto } from '../auth/dto/token-response.dto.js';
import { ApiErrors } from '../common/openapi/api-errors.decorator.js';
import { RateLimit } from '../rate-limit/rate-limit.decorator.js';
import { UserResponseDto } from '../users/dto/user-response.dto.js';
import { ProfileService } from './profile.service.js';
import { PasswordSetupService } from './password-setup.service.js';
import { SetPasswordDto } from './dto/set-password.dto.js';
import { AccountService } from './account.service.js';
import { AcceptedResponseDto } from './dto/accepted-response.dto.js';
import { ChangeEmailDto } from './dto/change-email.dto.js';
import { ChangePasswordDto } from './dto/change-password.dto.js';
import { ForgotPasswordDto } from './dto/forgot-password.dto.js';
import { PasswordConfirmationDto } from './dto/password-confirmation.dto.js';
import { RegistrationPendingDto } from './dto/registration-response.dto.js';
import { ResetPasswordDto } from './dto/reset-password.dto.js';
import { TokenDto } from './dto/token.dto.js';
import { UpdateProfileDto } from './dto/update-profile.dto.js';
import { EmailChangeService } from './email-change.service.js';
import { EmailVerificationService } from './email-verification.service.js';
import { PasswordRecoveryService } from './password-recovery.service.js';
import { RegistrationService } from './registration.service.js';

const BAD_TOKEN = {
  description: 'The token is not valid, has expired, was already used, or is for another action (the message says which)',
};

@ApiTags('account')
@ApiExtraModels(TokenResponseDto, RegistrationPendingDto)
@Controller()
export class AccountController {
  constructor(
    private readonly registration: RegistrationService,
    private readonly emailVerification: EmailVerificationService,
    private readonly passwordRecovery: PasswordRecoveryService,
    private readonly emailChange: EmailChangeService,
    private readonly account: AccountService,
    private readonly profile: ProfileService,
    private readonly passwordSetup: PasswordSetupService,
    private readonly cookies: RefreshCookieService,
  ) {}

  @Public()
  @RateLimit('register')
  @Post('auth/register')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Create an account, mail a verification link, and start a session (unless verification is required first)',
  })
  @ApiCreatedResponse({
    schema: { oneOf: [{ $ref: getSchemaPath(TokenResponseDto) }, { $ref: getSchemaPath(RegistrationPendingDto) }] },
  })
  @ApiBadRequestResponse({ description: 'Invalid email, password or name, or an unknown field' })
  @ApiConflictResponse({ description: 'Email is already registered' })
  @ApiErrors('email_taken', 'password_policy', 'bad_request')
  async register(
    @Body() body: RegisterDto,
    @Client() client: ClientInfo,
    @Transport() transport: TokenTransport,
  ): Promise<TokenResponseDto | RegistrationPendingDto> {
    const registered = await this.registration.register(body, client);
    return 'accessToken' in registered ? this.cookies.deliver(transport, registered) : registered;
  }

  @RateLimit('verify')
  @Post('auth/email/verify/request')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Mail a new verification link to the caller (older links stop working)' })
  @ApiAcceptedResponse({ type: AcceptedResponseDto })
  @ApiConflictResponse({ description: 'The email is already verified' })
  @ApiErrors('already_verified')
  async requestVerification(@CurrentUser() auth: AuthUser, @Client() client: ClientInfo): Promise<AcceptedResponseDto> {
    await this.emailVerification.request(auth.user, client);
    return { message: 'A verification link is on its way' };
  }

  @Public()
  @RateLimit('verify')
  @Post('auth/email/verify')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Verify the email address with the token from the mailed link' })
  @ApiNoContentResponse()
  @ApiBadRequestResponse(BAD_TOKEN)
  @ApiErrors('one_time_token_invalid')
  verifyEmail(@Body() body: TokenDto, @Client() client: ClientInfo): Promise<void> {
    return this.emailVerification.verify(body.token, client);
  }

  @RateLimit('login')
  @Post('auth/password/change')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Change the password; every other session ends' })
  @ApiNoContentResponse()
  @ApiBadRequestResponse({ description: 'The new password breaks the policy or equals the current one' })
  @ApiForbiddenResponse({ description: 'The current password is incorrect' })
  @ApiErrors('password_incorrect', 'password_policy', 'account_locked', 'conflict')
  changePassword(@CurrentUser() auth: AuthUser, @Body() body: ChangePasswordDto, @Client() client: ClientInfo): Promise<void> {
    return this.account.changePassword(auth, body.currentPassword, body.newPassword, client);
  }

  @RateLimit('login')
  @Post('auth/password/set')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Give a password to an account made by a provider sign-in (none yet); needs a sign-in of the last 10 minutes',
  })
  @ApiNoContentResponse()
  @ApiErrors('password_already_set', 'reauthentication_required', 'password_policy')
  setPassword(@CurrentUser() auth: AuthUser, @Body() body: SetPasswordDto, @Client() client: ClientInfo): Promise<void> {
    return this.passwordSetup.setFirst(auth, body.newPassword, client);
  }

  @Public()
  @RateLimit('forgot')
  @Post('auth/password/forgot')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Mail a password reset link; the answer is the same whether the email is registered or not' })
  @ApiAcceptedResponse({ type: AcceptedResponseDto })
  async forgotPassword(@Body() body: ForgotPasswordDto, @Client() client: ClientInfo): Promise<AcceptedResponseDto> {
    await this.passwordRecovery.forgot(body.email, client);
    return { message: 'If that address belongs to an account, a reset link is on its way' };
  }

  @Public()
  @RateLimit('verify')
  @Post('auth/password/reset')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Set a new password with the token from the mailed link; every session ends' })
  @ApiNoContentResponse()
  @ApiBadRequestResponse(BAD_TOKEN)
  @ApiErrors('one_time_token_invalid', 'password_policy', 'conflict')
  resetPassword(@Body() body: ResetPasswordDto, @Client() client: ClientInfo): Promise<void> {
    return this.passwordRecovery.reset(body.token, body.newPassword, client);
  }

  @Public()
  @RateLimit('verify')
  @Post('auth/email/change/confirm')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Switch to the new address with the token mailed to it' })
  @ApiNoContentResponse()
  @ApiBadRequestResponse(BAD_TOKEN)
  @ApiConflictResponse({ description: 'The new address was registered by someone else meanwhile' })
  @ApiErrors('one_time_token_invalid', 'email_taken')
  confirmEmailChange(@Body() body: TokenDto, @Client() client: ClientInfo): Promise<void> {
    return this.emailChange.confirm(body.token, client);
  }

  @Patch('users/me')
  @ApiOperation({ summary: "Change the caller's name or username (the old username is free at once)" })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiErrors('username_taken', 'username_required', 'bad_request')
  async updateProfile(
    @CurrentUser() auth: AuthUser,
    @Body() body: UpdateProfileDto,
    @Client() client: ClientInfo,
  ): Promise<UserResponseDto> {
    return UserResponseDto.from(await this.profile.update(auth.user.id, body, client));
  }

  @RateLimit('verify')
  @Post('users/me/email')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Ask to change the email address: a link goes to the new one, and nothing changes until it is followed',
  })
  @ApiAcceptedResponse({ type: AcceptedResponseDto })
  @ApiForbiddenResponse({ description: 'The password is incorrect' })
  @ApiErrors('password_incorrect', 'email_unchanged', 'account_locked', 'conflict')
  async changeEmail(
    @CurrentUser() auth: AuthUser,
    @Body() body: ChangeEmailDto,
    @Client() client: ClientInfo,
  ): Promise<AcceptedResponseDto> {
    await this.emailChange.request(auth, body.newEmail, body.password, client);
    return { message: 'If that address can be used, a confirmation link is on its way to it' };
  }

  @RateLimit('login')
  @Delete('users/me')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: "Delete the caller's account; its sessions end and the email can be registered again" })
  @ApiNoContentResponse()
  @ApiForbiddenResponse({ description: 'The password is incorrect' })
  @ApiConflictResponse({ description: 'The last active admin cannot be deleted' })
  @ApiErrors('password_incorrect', 'last_admin', 'account_locked')
  deleteAccount(
    @CurrentUser() auth: AuthUser,
    @Body() body: PasswordConfirmationDto,
    @Client() client: ClientInfo,
  ): Promise<void> {
    return this.account.deleteAccount(auth.user.id, body.password, client);
  }
}
