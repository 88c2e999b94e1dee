import { Controller, Get, Headers, Inject, Res, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { createHash, type JsonWebKey } from 'node:crypto';
import { Public } from '../common/request/public.decorator.js';
import { authConfig, type AuthConfig } from '../config/auth.config.js';
import { SigningKeysService } from './signing-keys.service.js';

/** The public keys other services verify access tokens with (RFC 7517). */
@ApiTags('keys')
// Verifiers of every product service may sit behind one address; the answer is built from memory.
@SkipThrottle({ global: true, ip: true, account: true })
@Controller({ path: '.well-known', version: VERSION_NEUTRAL })
export class JwksController {
  private readonly maxAge: number;

  constructor(
    private readonly keys: SigningKeysService,
    @Inject(authConfig.KEY) config: AuthConfig,
  ) {
    this.maxAge = config.jwt.jwksMaxAge;
  }

  @Public()
  @Get('jwks.json')
  @ApiOperation({
    summary: 'The public signing keys (JWK Set)',
    description:
      'Every key whose tokens may still be presented: the signing key, the next one (published JWKS_MAX_AGE before it signs) ' +
      'and replaced keys until their last token expires. Cache it for the Cache-Control max-age; fetch again on an unknown `kid`. ' +
      'Empty with JWT_ALGORITHM=HS256, whose keys are never published.',
  })
  @ApiOkResponse({
    schema: { example: { keys: [{ kty: 'EC', crv: 'P-256', x: '…', y: '…', kid: '…', alg: 'ES256', use: 'sig' }] } },
  })
  jwks(
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): { keys: JsonWebKey[] } | undefined {
    const body = { keys: this.keys.publicKeys() };
    const etag = `"${createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 27)}"`;
    void reply.header('Cache-Control', `public, max-age=${this.maxAge}`).header('ETag', etag);
    if (ifNoneMatch?.split(',').some((tag) => tag.trim() === etag)) {
      void reply.status(304);
      return undefined;
    }
    return body;
  }
}
