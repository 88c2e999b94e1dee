import { Body, Controller, Delete, Get, Header, HttpCode, HttpStatus, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
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
import { PasskeyResponseDto } from './dto/passkey-response.dto.js';
import { RemovePasskeyDto } from './dto/remove-passkey.dto.js';
import { RenamePasskeyDto } from './dto/rename-passkey.dto.js';
import { VerifyLoginDto } from './dto/verify-login.dto.js';
import { VerifyRegistrationDto } from './dto/verify-registration.dto.js';
import { PasskeyLoginService } from './passkey-login.service.js';
import { PasskeyRegistrationService } from './passkey-registration.service.js';
import { PasskeySettingsService } from './passkey-settings.service.js';
import { PasskeysService } from './passkeys.service.js';

const OPTIONS_SCHEMA = { type: 'object', additionalProperties: true } as const;

@ApiTags('passkeys')
@Controller('auth/passkeys')
export class PasskeysController {
  constructor(
    private readonly passkeys: PasskeysService,
    private readonly registration: PasskeyRegistrationService,
    private readonly login: PasskeyLoginService,
    private readonly settings: PasskeySettingsService,
    private readonly cookies: RefreshCookieService,
  ) {}

  @RateLimit('login')
  @Post('register/options')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary:
      'Options for navigator.credentials.create(): a discoverable passkey for the caller; the challenge is good once, for 5 minutes',
  })
  @ApiOkResponse({ description: 'PublicKeyCredentialCreationOptionsJSON', schema: OPTIONS_SCHEMA })
  registerOptions(@CurrentUser() auth: AuthUser): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return this.registration.options(auth);
  }

  @Post('register/verify')
  @ApiOperation({ summary: 'Add the passkey the browser created with those options' })
  @ApiCreatedResponse({ type: PasskeyResponseDto })
  @ApiBadRequestResponse({ description: 'The challenge is unknown, used or expired, or the response does not verify' })
  @ApiConflictResponse({ description: 'The passkey is registered already' })
  @ApiErrors('webauthn_challenge_invalid', 'passkey_rejected', 'passkey_exists')
  async registerVerify(
    @CurrentUser() auth: AuthUser,
    @Body() body: VerifyRegistrationDto,
    @Client() client: ClientInfo,
  ): Promise<PasskeyResponseDto> {
    return PasskeyResponseDto.from(await this.registration.verify(auth, body, client));
  }

  @Get()
  @ApiOperation({ summary: "The caller's passkeys, oldest first" })
  @ApiOkResponse({ type: [PasskeyResponseDto] })
  async list(@CurrentUser() auth: AuthUser): Promise<PasskeyResponseDto[]> {
    return (await this.passkeys.listFor(auth.user.id)).map((passkey) => PasskeyResponseDto.from(passkey));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename one of the caller’s passkeys' })
  @ApiOkResponse({ type: PasskeyResponseDto })
  @ApiNotFoundResponse({ description: 'Not one of the caller’s passkeys' })
  @ApiErrors('not_found')
  async rename(
    @CurrentUser() auth: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: RenamePasskeyDto,
    @Client() client: ClientInfo,
  ): Promise<PasskeyResponseDto> {
    return PasskeyResponseDto.from(await this.settings.rename(auth, id, body.name, client));
  }

  @RateLimit('login')
  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Remove one of the caller’s passkeys, confirming with the password or a second-factor code' })
  @ApiNoContentResponse()
  @ApiForbiddenResponse({ description: 'The password is incorrect' })
  @ApiNotFoundResponse({ description: 'Not one of the caller’s passkeys' })
  @ApiErrors('not_found', 'password_incorrect', 'mfa_code_incorrect', 'mfa_not_enabled', 'account_locked')
  remove(
    @CurrentUser() auth: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: RemovePasskeyDto,
    @Client() client: ClientInfo,
  ): Promise<void> {
    return this.settings.remove(auth, id, body, client);
  }

  @Public()
  @RateLimit('login')
  @Post('login/options')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary:
      'Options for navigator.credentials.get(): any passkey of this site, user verification required; the challenge is good once, for 5 minutes',
  })
  @ApiOkResponse({ description: 'PublicKeyCredentialRequestOptionsJSON', schema: OPTIONS_SCHEMA })
  loginOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return this.login.options();
  }

  @Public()
  @RateLimit('login')
  @Post('login/verify')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Sign in with a passkey alone and start a session (amr ["webauthn"])' })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiBadRequestResponse({ description: 'The challenge is unknown, used or expired' })
  @ApiUnauthorizedResponse({ description: 'The passkey is unknown or its response does not verify' })
  @ApiForbiddenResponse({ description: 'The account is disabled or its email is not verified yet' })
  @ApiErrors('webauthn_challenge_invalid', 'passkey_invalid', 'account_disabled', 'email_not_verified')
  async loginVerify(
    @Body() body: VerifyLoginDto,
    @Client() client: ClientInfo,
    @Transport() transport: TokenTransport,
  ): Promise<TokenResponseDto> {
    return this.cookies.deliver(transport, await this.login.verify(body.response, client));
  }
}
