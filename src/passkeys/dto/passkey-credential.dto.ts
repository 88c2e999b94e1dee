import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const base64url = (field: string) => ({ message: `${field} must be base64url` });

/** The parts of `PublicKeyCredential.toJSON()` both ceremonies share. */
abstract class CredentialDto {
  @ApiProperty({ description: 'The credential ID, base64url' })
  @IsString()
  @MaxLength(1400)
  @Matches(BASE64URL, base64url('id'))
  readonly id: string;

  @ApiProperty({ description: 'The same ID, base64url' })
  @IsString()
  @MaxLength(1400)
  @Matches(BASE64URL, base64url('rawId'))
  readonly rawId: string;

  @ApiProperty({ enum: ['public-key'] })
  @IsIn(['public-key'])
  readonly type: 'public-key';

  @ApiPropertyOptional({ enum: ['platform', 'cross-platform'] })
  @IsOptional()
  @IsIn(['platform', 'cross-platform'])
  readonly authenticatorAttachment?: 'platform' | 'cross-platform';

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  readonly clientExtensionResults?: Record<string, unknown>;
}

class AttestationResponseDto {
  @ApiProperty({ description: 'base64url' })
  @IsString()
  @MaxLength(4096)
  @Matches(BASE64URL, base64url('clientDataJSON'))
  readonly clientDataJSON: string;

  @ApiProperty({ description: 'base64url' })
  @IsString()
  @MaxLength(16384)
  @Matches(BASE64URL, base64url('attestationObject'))
  readonly attestationObject: string;

  @ApiPropertyOptional({ description: 'base64url' })
  @IsOptional()
  @IsString()
  @MaxLength(8192)
  @Matches(BASE64URL, base64url('authenticatorData'))
  readonly authenticatorData?: string;

  @ApiPropertyOptional({ type: [String], example: ['internal', 'hybrid'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(8)
  @IsString({ each: true })
  @Matches(/^[a-z-]{1,16}$/, { each: true, message: 'each transport must be a short lower-case word' })
  readonly transports?: string[];

  @ApiPropertyOptional({ description: 'COSE algorithm of the new key' })
  @IsOptional()
  @IsInt()
  readonly publicKeyAlgorithm?: number;

  @ApiPropertyOptional({ description: 'The public key, SPKI, base64url' })
  @IsOptional()
  @IsString()
  @MaxLength(8192)
  @Matches(BASE64URL, base64url('publicKey'))
  readonly publicKey?: string;
}

class AssertionResponseDto {
  @ApiProperty({ description: 'base64url' })
  @IsString()
  @MaxLength(4096)
  @Matches(BASE64URL, base64url('clientDataJSON'))
  readonly clientDataJSON: string;

  @ApiProperty({ description: 'base64url' })
  @IsString()
  @MaxLength(8192)
  @Matches(BASE64URL, base64url('authenticatorData'))
  readonly authenticatorData: string;

  @ApiProperty({ description: 'base64url' })
  @IsString()
  @MaxLength(1024)
  @Matches(BASE64URL, base64url('signature'))
  readonly signature: string;

  @ApiPropertyOptional({ description: 'The account the passkey belongs to, base64url (required: passkeys are discoverable)' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  @Matches(BASE64URL, base64url('userHandle'))
  readonly userHandle?: string;
}

/** What `navigator.credentials.create()` gave, as `credential.toJSON()` writes it. */
export class RegistrationCredentialDto extends CredentialDto {
  @ApiProperty({ type: AttestationResponseDto })
  @IsObject()
  @ValidateNested()
  @Type(() => AttestationResponseDto)
  readonly response: AttestationResponseDto;
}

/** What `navigator.credentials.get()` gave, as `credential.toJSON()` writes it. */
export class AuthenticationCredentialDto extends CredentialDto {
  @ApiProperty({ type: AssertionResponseDto })
  @IsObject()
  @ValidateNested()
  @Type(() => AssertionResponseDto)
  readonly response: AssertionResponseDto;
}
