import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi/api-errors.decorator.js';
import { RateLimit } from '../rate-limit/rate-limit.decorator.js';
import { UserResponseDto } from '../users/dto/user-response.dto.js';
import type { User } from '../users/entities/user.entity.js';
import type { AuthUser } from '../common/request/auth-user.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { AuthService } from './auth.service.js';
import { Client } from '../common/request/client.decorator.js';
import { CurrentUser } from '../common/request/current-user.decorator.js';
import { Public } from '../common/request/public.decorator.js';
import { CheckedUser } from './decorators/checked-user.decorator.js';
import { LoginDto } from './dto/login.dto.js';
import { MfaChallengeResponseDto } from './dto/mfa-challenge-response.dto.js';
import { RefreshDto } from './dto/refresh.dto.js';
import { SessionResponseDto } from './dto/session-response.dto.js';
import { TokenResponseDto } from './dto/token-response.dto.js';
import { Transport, type TokenTransport } from './decorators/token-transport.decorator.js';
import { LocalAuthGuard } from './guards/local-auth.guard.js';
import { RefreshCookieService } from './refresh-cookie.service.js';
import { RefreshLimitInterceptor } from './refresh-limit.interceptor.js';
import { SessionRotationService } from './session-rotation.service.js';
import { SessionsService } from './sessions.service.js';

@ApiTags('auth')
@ApiExtraModels(TokenResponseDto, MfaChallengeResponseDto)
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
    private readonly rotation: SessionRotationService,
    private readonly cookies: RefreshCookieService,
  ) {}

  @Public()
  @RateLimit('login')
  @UseGuards(LocalAuthGuard)
  @Post('login')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Log in with email and password and start a session',
    description:
      'With a second factor on the account, the answer is `{mfaRequired: true, mfaToken, methods}` instead of tokens (no cookie either): pass the second step at POST /api/v1/auth/mfa/verify',
  })
  @ApiOkResponse({
    schema: { oneOf: [{ $ref: getSchemaPath(TokenResponseDto) }, { $ref: getSchemaPath(MfaChallengeResponseDto) }] },
  })
  @ApiBadRequestResponse({ description: 'Malformed body' })
  @ApiForbiddenResponse({ description: 'Right password, but the account is disabled or its email is not verified yet' })
  @ApiErrors('invalid_credentials', 'account_disabled', 'email_not_verified', 'account_locked', 'bad_request')
  async login(
    @Body() _body: LoginDto,
    @CheckedUser() user: User,
    @Client() client: ClientInfo,
    @Transport() transport: TokenTransport,
  ): Promise<TokenResponseDto | MfaChallengeResponseDto> {
    const answer = await this.auth.login(user, client, transport.cookieMode);
    return 'mfaRequired' in answer ? answer : this.cookies.deliver(transport, answer);
  }

  @Public()
  @RateLimit('refresh')
  @UseInterceptors(RefreshLimitInterceptor)
  @Post('refresh')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Spend a refresh token for a new token pair' })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiForbiddenResponse({ description: 'Cookie mode from another site' })
  @ApiErrors('refresh_token_missing', 'refresh_token_invalid', 'refresh_token_reused', 'bad_request', 'cross_site_request')
  async refresh(
    @Body() _body: RefreshDto,
    @Client() client: ClientInfo,
    @Transport() transport: TokenTransport,
  ): Promise<TokenResponseDto> {
    return this.cookies.deliver(transport, await this.rotation.refresh(this.cookies.tokenFor(transport), client));
  }

  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End this session: its refresh token and access tokens stop working at once' })
  @ApiNoContentResponse()
  @ApiErrors('bad_request')
  async logout(
    @CurrentUser() auth: AuthUser,
    @Client() client: ClientInfo,
    @Transport() transport: TokenTransport,
  ): Promise<void> {
    await this.sessions.end(auth.user.id, auth.sessionId, 'logout', client);
    this.cookies.clear(transport);
  }

  @Post('logout-all')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End every session of the caller' })
  @ApiNoContentResponse()
  @ApiErrors('bad_request')
  async logoutAll(
    @CurrentUser() auth: AuthUser,
    @Client() client: ClientInfo,
    @Transport() transport: TokenTransport,
  ): Promise<void> {
    await this.sessions.logoutAll(auth.user.id, client);
    this.cookies.clear(transport);
  }

  @Get('me')
  @ApiOperation({ summary: 'The caller' })
  @ApiOkResponse({ type: UserResponseDto })
  me(@CurrentUser() auth: AuthUser): UserResponseDto {
    return UserResponseDto.from(auth.user);
  }

  @Get('sessions')
  @ApiOperation({ summary: "The caller's live sessions, most recently used first" })
  @ApiOkResponse({ type: [SessionResponseDto] })
  async listSessions(@CurrentUser() auth: AuthUser): Promise<SessionResponseDto[]> {
    const sessions = await this.sessions.listActive(auth.user.id);
    return sessions.map((session) => SessionResponseDto.from(session, auth.sessionId));
  }

  @Delete('sessions/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End one of the caller’s sessions' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'Not one of the caller’s live sessions' })
  @ApiErrors('not_found')
  endSession(@CurrentUser() auth: AuthUser, @Param('id', ParseUUIDPipe) id: string, @Client() client: ClientInfo): Promise<void> {
    return this.sessions.end(auth.user.id, id, 'ended_by_user', client);
  }
}
