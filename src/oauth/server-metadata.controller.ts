import { Controller, Get, Res, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../common/request/public.decorator.js';
import { ServerMetadataDto } from './dto/server-metadata.dto.js';
import { ServerMetadataService } from './server-metadata.service.js';

/** Authorization server metadata (RFC 8414), at its well-known path outside /api. */
@ApiTags('oauth')
@Controller({ path: '.well-known', version: VERSION_NEUTRAL })
export class ServerMetadataController {
  constructor(private readonly metadata: ServerMetadataService) {}

  @Public()
  @Get('oauth-authorization-server')
  @ApiOperation({
    summary: 'Authorization server metadata (RFC 8414)',
    description: 'The issuer, the JWKS, the introspection endpoint and how to authenticate to it, and the signing algorithms.',
  })
  @ApiOkResponse({ type: ServerMetadataDto })
  serverMetadata(@Res({ passthrough: true }) reply: FastifyReply): ServerMetadataDto {
    void reply.header('Cache-Control', `public, max-age=${this.metadata.maxAge}`);
    return this.metadata.document();
  }
}
