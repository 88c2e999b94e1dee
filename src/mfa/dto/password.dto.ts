import { ApiProperty } from '@nestjs/swagger';
import { IsPassword, PASSWORD_MAX_BYTES } from '../../auth/decorators/is-password.decorator.js';

/** The current password, asked again before the authenticator app is set up. */
export class PasswordDto {
  @ApiProperty({ description: `The current password (at most ${PASSWORD_MAX_BYTES} bytes in UTF-8)` })
  @IsPassword({ minBytes: 1 })
  readonly password: string;
}
