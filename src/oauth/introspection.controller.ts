import { Body, Controller, Header, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { FormBody } from '../common/http/form-body.js';
import { ApiErrors } from '../common/openapi/api-errors.decorator.js';
import { ClientAuthenticated } from './decorators/client-authenticated.decorator.js';
import { IntrospectDto } from './dto/introspect.dto.js';
import { IntrospectionResponseDto } from './dto/introspection-response.dto.js';
import { IntrospectionService } from './introspection.service.js';

@ApiTags('oauth')
@Controller('oauth')
export class IntrospectionController {
  constructor(private readonly introspection: IntrospectionService) {}

  @ClientAuthenticated()
  @FormBody()
  @Post('introspect')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Token introspection (RFC 7662), for product services',
    description:
      'Whether an access token or refresh token is usable right now: signature, key and expiry, and the session and the ' +
      'user as the database has them at this moment. The client authenticates with HTTP Basic (INTROSPECTION_CLIENTS); ' +
      'the body is a form (`token=…`), not JSON. Anything that is not an active token is answered `{"active": false}`. ' +
      'A refresh token looked at is not spent or counted as used.',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOkResponse({ type: IntrospectionResponseDto })
  @ApiErrors('client_unauthorized')
  introspect(@Body() body: IntrospectDto): Promise<IntrospectionResponseDto> {
    return this.introspection.introspect(body.token, body.token_type_hint);
  }
}
