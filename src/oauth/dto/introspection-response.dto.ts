import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Role } from '../../common/request/role.enum.js';

/** RFC 7662 §2.2. An inactive token is exactly `{active: false}`: no other field, no reason. */
export class IntrospectionResponseDto {
  @ApiProperty({
    description:
      'true: an access token, or the current refresh token, of a live session of an active user, now. false: anything else',
  })
  readonly active: boolean;

  @ApiPropertyOptional({ format: 'uuid', description: 'The user' })
  readonly sub?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The session' })
  readonly sid?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Access tokens: the token id' })
  readonly jti?: string;

  @ApiPropertyOptional({
    description:
      'Seconds since the epoch. An access token: its expiry. A refresh token: when the session ends unless it is refreshed ' +
      '(the earlier of the idle and the absolute deadline)',
  })
  readonly exp?: number;

  @ApiPropertyOptional({ description: 'Seconds since the epoch: when the token was issued' })
  readonly iat?: number;

  @ApiPropertyOptional({ description: 'Access tokens: the issuer, when JWT_ISSUER is set' })
  readonly iss?: string;

  @ApiPropertyOptional({ description: 'Access tokens: the audience, when JWT_AUDIENCE is set' })
  readonly aud?: string | string[];

  @ApiPropertyOptional({ enum: ['Bearer'], description: 'Access tokens' })
  readonly token_type?: 'Bearer';

  @ApiPropertyOptional({ enum: ['access_token', 'refresh_token'] })
  readonly token_use?: 'access_token' | 'refresh_token';

  @ApiPropertyOptional({ enum: Role, isArray: true, description: "The user's roles now, from the database (not from the token)" })
  readonly roles?: Role[];
}
