import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { IsPassword, PASSWORD_MAX_BYTES } from '../../auth/decorators/is-password.decorator.js';

/** The owner proves it again before a passkey goes: with the password, or with a second factor. Exactly one. */
export class RemovePasskeyDto {
  @ApiPropertyOptional({ description: `The current password (at most ${PASSWORD_MAX_BYTES} bytes in UTF-8)` })
  @IsOptional()
  @IsPassword({ minBytes: 1 })
  readonly password?: string;

  @ApiPropertyOptional({ description: 'A code of the authenticator app, or a recovery code', example: '123456' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9 -]{6,32}$/, { message: 'code must be 6 to 32 letters, digits, spaces or dashes' })
  readonly code?: string;
}
