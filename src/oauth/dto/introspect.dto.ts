import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/** The form of an introspection request (RFC 7662 §2.1). */
export class IntrospectDto {
  // No @MaxLength: an over-long token is not one of ours and is answered {active: false} (RFC 7662 §2.2);
  // the body limit bounds it.
  @ApiProperty({ description: 'The access token or refresh token to look up' })
  @IsString()
  readonly token: string;

  @ApiPropertyOptional({
    description: '`access_token` or `refresh_token`: which kind is looked for first. Both are always looked for',
    example: 'access_token',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  readonly token_type_hint?: string;
}
