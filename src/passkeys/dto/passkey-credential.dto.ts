import { applyDecorators } from '@nestjs/common';
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

/** A base64url string of at most `maxLength` characters, as WebAuthn's JSON encodes bytes. */
function Base64Url(field: string, maxLength: number): PropertyDecorator {
  return applyDecorators(IsString(), MaxLength(maxLength), Matches(BASE64URL, { message: `${field} must be base64url` }));
}

/** The parts of `PublicKeyCredential.toJSON()` both ceremonies share. */
abstract class CredentialDto {
  @ApiProperty({ description: 'The credential ID, base64url' })
  @Base64Url('id', 1400)
  readonly id: string;

  @ApiProperty({ description: 'The same ID, base64url' })
  @Base64Url('rawId', 1400)
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
  @Base64Url('clientDataJSON', 4096)
  readonly clientDataJSON: string;

  @ApiProperty({ description: 'base64url' })
  @Base64Url('attestationObject', 16384)
  readonly attestationObject: string;

  @ApiPropertyOptional({ description: 'base64url' })
  @IsOptional()
  @Base64Url('authenticatorData', 8192)
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
  @Base64Url('publicKey', 8192)
  readonly publicKey?: string;
}

class AssertionResponseDto {
  @ApiProperty({ description: 'base64url' })
  @Base64Url('clientDataJSON', 4096)
  readonly clientDataJSON: string;

  @ApiProperty({ description: 'base64url' })
  @Base64Url('authenticatorData', 8192)
  readonly authenticatorData: string;

  @ApiProperty({ description: 'base64url' })
  @Base64Url('signature', 1024)
  readonly signature: string;

  @ApiPropertyOptional({ description: 'The account the passkey belongs to, base64url (required: passkeys are discoverable)' })
  @IsOptional()
  @Base64Url('userHandle', 128)
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
