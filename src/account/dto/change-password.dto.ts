import { ApiProperty } from '@nestjs/swagger';
import { IsPassword, PASSWORD_MAX_BYTES } from '../../auth/decorators/is-password.decorator.js';

export class ChangePasswordDto {
  @ApiProperty({ description: `The current password (at most ${PASSWORD_MAX_BYTES} bytes in UTF-8)` })
  @IsPassword({ minBytes: 1 })
  readonly currentPassword: string;

  @ApiProperty({ example: 'a new correct horse battery staple', description: '8 to 72 bytes in UTF-8, not the current one' })
  @IsPassword()
  readonly newPassword: string;
}
