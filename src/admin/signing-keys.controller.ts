import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi/api-errors.decorator.js';
import type { AuthUser } from '../common/request/auth-user.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { Client } from '../common/request/client.decorator.js';
import { CurrentUser } from '../common/request/current-user.decorator.js';
import { Role } from '../common/request/role.enum.js';
import { Roles } from '../common/request/roles.decorator.js';
import { SigningKeysService } from '../signing-keys/signing-keys.service.js';
import { RotateSigningKeyDto } from './dto/rotate-signing-key.dto.js';
import { SigningKeyResponseDto } from './dto/signing-key-response.dto.js';

/** The keys that sign access tokens: list, rotate, revoke (admin). */
@ApiTags('keys')
@Roles(Role.Admin)
@Controller('signing-keys')
export class SigningKeysController {
  constructor(private readonly keys: SigningKeysService) {}

  @Get()
  @ApiOperation({ summary: 'The signing keys in use: next, signing and retiring (admin)' })
  @ApiOkResponse({ type: [SigningKeyResponseDto] })
  @ApiErrors('forbidden')
  list(): SigningKeyResponseDto[] {
    return this.keys.list().map((key) => SigningKeyResponseDto.from(key));
  }

  @Post()
  @ApiOperation({
    summary: 'Rotate: make the next signing key (admin)',
    description:
      'The new key is published now and signs from JWKS_MAX_AGE from now (or at once with `immediately`). Nobody is logged ' +
      'out: the replaced key keeps verifying its tokens until they expire. A next key announced before is replaced.',
  })
  @ApiCreatedResponse({ type: SigningKeyResponseDto })
  @ApiErrors('forbidden', 'validation_failed')
  async rotate(
    @Body() body: RotateSigningKeyDto,
    @CurrentUser() auth: AuthUser,
    @Client() client: ClientInfo,
  ): Promise<SigningKeyResponseDto> {
    const key = await this.keys.rotate({ userId: auth.user.id, client, channel: 'api' }, { immediately: body.immediately });
    return SigningKeyResponseDto.from(key);
  }

  @Post(':kid/revoke')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Revoke a key at once, for a leaked key (admin)',
    description:
      'Every access token the key signed is refused from now on (clients refresh and get one from another key); it leaves ' +
      'the JWKS. When it was the signing key, a new key signs at once.',
  })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiErrors('forbidden', 'not_found')
  async revoke(@Param('kid') kid: string, @CurrentUser() auth: AuthUser, @Client() client: ClientInfo): Promise<void> {
    await this.keys.revoke(kid, { userId: auth.user.id, client, channel: 'api' });
  }
}
