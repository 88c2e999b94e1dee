import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Equals, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { IdentityProviderConfig } from '../../config/identity-providers.config.js';
import type { Identity } from '../entities/identity.entity.js';

export class StartQueryDto {
  @ApiPropertyOptional({
    name: 'redirect_to',
    description:
      'Where to come back: a page of this service or of APP_URL, or a URL of OAUTH_REDIRECT_ALLOWLIST (default: APP_URL)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  readonly redirect_to?: string;

  @ApiPropertyOptional({
    name: 'code_challenge',
    description:
      'A client that will exchange a one-time code: BASE64URL(SHA-256(its code verifier)); without it, the browser gets the refresh cookie',
  })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'code_challenge must be a base64url SHA-256 (43 characters)' })
  readonly code_challenge?: string;

  @ApiPropertyOptional({ name: 'code_challenge_method', enum: ['S256'] })
  @IsOptional()
  @Equals('S256', { message: 'code_challenge_method must be S256' })
  readonly code_challenge_method?: string;
}

export class ExchangeDto {
  @ApiProperty({ description: 'The one-time `code` the callback put in the redirect' })
  @IsString()
  @MaxLength(128)
  readonly code: string;

  @ApiProperty({ description: 'The PKCE code verifier whose S256 challenge went to `start` (43 to 128 characters)' })
  @Matches(/^[A-Za-z0-9._~-]{43,128}$/, { message: 'codeVerifier must be 43 to 128 characters of A-Z a-z 0-9 . _ ~ -' })
  readonly codeVerifier: string;
}

export class LinkDto {
  @ApiPropertyOptional({ description: 'Where to come back after linking (same rules as redirect_to)' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  readonly redirectTo?: string;
}

export class AuthorizationUrlDto {
  @ApiProperty({ description: "The provider's page to send the browser to" })
  readonly url: string;
}

export class ProviderDto {
  @ApiProperty({ example: 'google' })
  readonly name: string;

  @ApiProperty({ example: 'Google' })
  readonly label: string;

  static from(provider: IdentityProviderConfig): ProviderDto {
    return { name: provider.name, label: provider.label };
  }
}

export class ProviderListDto {
  @ApiProperty({ type: ProviderDto, isArray: true })
  readonly providers: ProviderDto[];
}

export class IdentityDto {
  @ApiProperty({ format: 'uuid' })
  readonly id: string;

  @ApiProperty({ example: 'google' })
  readonly provider: string;

  @ApiProperty({ type: String, nullable: true, description: 'The address the provider gave at the last sign-in' })
  readonly email: string | null;

  @ApiProperty()
  readonly emailVerified: boolean;

  @ApiProperty()
  readonly linkedAt: Date;

  static from(identity: Identity): IdentityDto {
    return {
      id: identity.id,
      provider: identity.provider,
      email: identity.email,
      emailVerified: identity.emailVerified,
      linkedAt: identity.linkedAt,
    };
  }
}

export class IdentityListDto {
  @ApiProperty({ type: IdentityDto, isArray: true })
  readonly identities: IdentityDto[];
}
