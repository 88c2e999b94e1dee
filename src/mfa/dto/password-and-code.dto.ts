import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { IsPassword, PASSWORD_MAX_BYTES } from '../../auth/decorators/is-password.decorator.js';
import { trim } from './code.dto.js';

/** The password and a second-factor code, asked again before the second factors change. */
export class PasswordAndCodeDto {
  @ApiProperty({ description: `The current password (at most ${PASSWORD_MAX_BYTES} bytes in UTF-8)` })
  @IsPassword({ minBytes: 1 })
  readonly password: string;

  @ApiProperty({ example: '123456', description: 'A code from the authenticator app, or an unused recovery code' })
  @trim()
  @IsString()
  @Length(6, 32)
  readonly code: string;
}
