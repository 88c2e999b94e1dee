import { ApiProperty } from '@nestjs/swagger';

/** Authorization server metadata (RFC 8414 §2), for the parts this service has. */
export class ServerMetadataDto {
  @ApiProperty({
    example: 'https://auth.example.com',
    description:
      'JWT_ISSUER (the `iss` of the access tokens) when set, else this service’s public URL (PUBLIC_URL, else APP_URL)',
  })
  readonly issuer: string;

  @ApiProperty({ example: 'https://auth.example.com/.well-known/jwks.json' })
  readonly jwks_uri: string;

  @ApiProperty({ example: 'https://auth.example.com/api/v1/oauth/introspect' })
  readonly introspection_endpoint: string;

  @ApiProperty({ example: ['client_secret_basic'] })
  readonly introspection_endpoint_auth_methods_supported: string[];

  @ApiProperty({
    example: [],
    description: 'Required by RFC 8414; empty: the service has no authorization endpoint (tokens come from /api/v1/auth)',
  })
  readonly response_types_supported: string[];

  @ApiProperty({
    example: ['ES256'],
    description:
      'An extension (no registered field says this): the algorithms access tokens are signed with, the current one first, ' +
      'then any of the other live keys',
  })
  readonly access_token_signing_alg_values_supported: string[];
}
