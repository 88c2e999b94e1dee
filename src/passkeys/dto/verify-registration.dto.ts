import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsObject, IsOptional, ValidateNested } from 'class-validator';
import { IsPasskeyName, PASSKEY_NAME_MAX_LENGTH } from '../decorators/is-passkey-name.decorator.js';
import { RegistrationCredentialDto } from './passkey-credential.dto.js';

export class VerifyRegistrationDto {
  @ApiProperty({ type: RegistrationCredentialDto, description: 'The new credential, as `credential.toJSON()` writes it' })
  @IsObject()
  @ValidateNested()
  @Type(() => RegistrationCredentialDto)
  readonly response: RegistrationCredentialDto;

  @ApiPropertyOptional({ example: 'Laptop', maxLength: PASSKEY_NAME_MAX_LENGTH, description: 'Default: "Passkey"' })
  @IsOptional()
  @IsPasskeyName()
  readonly name?: string;
}
