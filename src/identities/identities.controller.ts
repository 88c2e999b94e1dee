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
  Query,
  Redirect,
  Req,
  Res,
} from '@nestjs/common';
import { ApiExtraModels, ApiFoundResponse, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Transport, type TokenTransport } from '../auth/decorators/token-transport.decorator.js';
import { MfaChallengeResponseDto } from '../auth/dto/mfa-challenge-response.dto.js';
import { TokenResponseDto } from '../auth/dto/token-response.dto.js';
import { RefreshCookieService } from '../auth/refresh-cookie.service.js';
import { ApiErrors } from '../common/openapi/api-errors.decorator.js';
import type { AuthUser } from '../common/request/auth-user.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { Client } from '../common/request/client.decorator.js';
import { CurrentUser } from '../common/request/current-user.decorator.js';
import { Public } from '../common/request/public.decorator.js';
import { RateLimit } from '../rate-limit/rate-limit.decorator.js';
import {
  AuthorizationUrlDto,
  ExchangeDto,
  IdentityDto,
  IdentityListDto,
  LinkDto,
  ProviderDto,
  ProviderListDto,
  StartQueryDto,
} from './dto/oauth.dto.js';
import { BrowserBinding } from './browser-binding.js';
import { FederatedLoginService } from './federated-login.service.js';
import { IdentitiesService } from './identities.service.js';
import { OAuthFlowsService } from './oauth-flows.service.js';
import { ProviderClients } from './provider-clients.js';
import { ProviderSignInService } from './provider-sign-in.service.js';

const PROVIDER_PARAM = /^[a-z][a-z0-9]{0,31}$/;

@ApiTags('identities')
@ApiExtraModels(TokenResponseDto, MfaChallengeResponseDto)
@Controller('auth')
export class IdentitiesController {
  constructor(
    private readonly clients: ProviderClients,
    private readonly signIn: ProviderSignInService,
    private readonly flows: OAuthFlowsService,
    private readonly login: FederatedLoginService,
    private readonly identities: IdentitiesService,
    private readonly cookies: RefreshCookieService,
    private readonly binding: BrowserBinding,
  ) {}

  @Public()
  @Get('oauth/providers')
  @ApiOperation({ summary: 'The providers people can sign in with (OAUTH_PROVIDERS), for "Sign in with …" buttons' })
  @ApiOkResponse({ type: ProviderListDto })
  providers(): ProviderListDto {
    return { providers: this.clients.list().map((provider) => ProviderDto.from(provider)) };
  }

  @Public()
  @RateLimit('login')
  @Get('oauth/:provider/start')
  @Redirect()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Send the browser to the provider to sign in (authorization code flow with PKCE, state and nonce)',
    description:
      'Comes back through the callback to `redirect_to`. Without `code_challenge` (a browser on this service or APP_URL) the refresh cookie is set; with it, the redirect carries a one-time `code` for POST /api/v1/auth/oauth/exchange.',
  })
  @ApiFoundResponse({ description: "To the provider's sign-in page" })
  @ApiErrors('oauth_provider_unknown', 'oauth_redirect_refused', 'oauth_provider_unavailable', 'bad_request')
  async start(
    @Param('provider') provider: string,
    @Query() query: StartQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ url: string; statusCode: number }> {
    const url = await this.signIn.start({
      provider: knownName(provider),
      redirectTo: query.redirect_to,
      codeChallenge: query.code_challenge,
      browser: this.binding.issue(request, reply),
    });
    return { url, statusCode: HttpStatus.FOUND };
  }

  @Public()
  @Get('oauth/:provider/callback')
  @Redirect()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: "The provider's redirect back (enter it at the provider as the redirect URI)",
    description:
      "Redirects to the flow's `redirect_to` with the outcome: nothing more (signed in, refresh cookie set), `mfa_token` (the code step is due), `code` (to exchange), `linked`, or `error`.",
  })
  @ApiFoundResponse({ description: 'Back to redirect_to' })
  @ApiErrors('oauth_state_invalid', 'oauth_provider_unknown')
  async callback(
    @Param('provider') provider: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Client() client: ClientInfo,
  ): Promise<{ url: string; statusCode: number }> {
    const raw = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    const query = (request.query ?? {}) as Record<string, unknown>;
    const url = await this.signIn.callback(knownName(provider), query, raw, this.binding.read(request), client, reply);
    return { url, statusCode: HttpStatus.FOUND };
  }

  @Public()
  @RateLimit('login')
  @Post('oauth/exchange')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: "Exchange a provider sign-in's one-time code, with the PKCE code verifier, for the usual token response",
    description: 'Or `{mfaRequired, mfaToken, methods}` when the account has a second factor. The code works once, within 60 s.',
  })
  @ApiOkResponse({
    schema: { oneOf: [{ $ref: getSchemaPath(TokenResponseDto) }, { $ref: getSchemaPath(MfaChallengeResponseDto) }] },
  })
  @ApiErrors('oauth_code_invalid', 'account_disabled', 'bad_request')
  async exchange(
    @Body() body: ExchangeDto,
    @Client() client: ClientInfo,
    @Transport() transport: TokenTransport,
  ): Promise<TokenResponseDto | MfaChallengeResponseDto> {
    const { userId, provider } = await this.flows.exchange(body.code, body.codeVerifier);
    const answer = await this.login.open(userId, provider, client, transport.cookieMode);
    return 'mfaRequired' in answer ? answer : this.cookies.deliver(transport, answer);
  }

  @Get('identities')
  @ApiOperation({ summary: "The caller's linked accounts at other providers" })
  @ApiOkResponse({ type: IdentityListDto })
  async list(@CurrentUser() auth: AuthUser): Promise<IdentityListDto> {
    return { identities: (await this.identities.listFor(auth.user.id)).map((identity) => IdentityDto.from(identity)) };
  }

  @RateLimit('login')
  @Post('identities/:provider/link')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Start linking a provider account to the caller: send the browser to the answered URL',
    description: 'The callback links it and redirects to `redirectTo` with `linked=<provider>`, or `error=identity_taken`.',
  })
  @ApiOkResponse({ type: AuthorizationUrlDto })
  @ApiErrors('oauth_provider_unknown', 'oauth_redirect_refused', 'oauth_provider_unavailable')
  async link(
    @Param('provider') provider: string,
    @Body() body: LinkDto,
    @CurrentUser() auth: AuthUser,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AuthorizationUrlDto> {
    const browser = this.binding.issue(request, reply);
    return {
      url: await this.signIn.start({ provider: knownName(provider), redirectTo: body.redirectTo, linkTo: auth.user.id, browser }),
    };
  }

  @Delete('identities/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Unlink one of the caller’s provider accounts (refused when it is the last way to sign in)' })
  @ApiErrors('not_found', 'last_sign_in_method')
  unlink(@Param('id', ParseUUIDPipe) id: string, @CurrentUser() auth: AuthUser, @Client() client: ClientInfo): Promise<void> {
    return this.identities.unlink(auth.user.id, id, client);
  }
}

/** A provider name as the routes take it; anything else is no provider (404), never a lookup. */
function knownName(provider: string): string {
  return PROVIDER_PARAM.test(provider) ? provider : '-';
}
