import { ApiProperty } from '@nestjs/swagger';
import { IsPassword, PASSWORD_MAX_BYTES } from '../../auth/decorators/is-password.decorator.js';

/** The current password, asked again before a sensitive change. */
export class PasswordConfirmationDto {
  @ApiProperty({ description: `The current password (at most ${PASSWORD_MAX_BYTES} bytes in UTF-8)` })
  @IsPassword({ minBytes: 1 })
  readonly password: string;
}
