import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsObject, ValidateNested } from 'class-validator';
import { AuthenticationCredentialDto } from './passkey-credential.dto.js';

export class VerifyLoginDto {
  @ApiProperty({ type: AuthenticationCredentialDto, description: 'The assertion, as `credential.toJSON()` writes it' })
  @IsObject()
  @ValidateNested()
  @Type(() => AuthenticationCredentialDto)
  readonly response: AuthenticationCredentialDto;
}
