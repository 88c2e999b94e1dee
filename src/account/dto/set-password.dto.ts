import { ApiProperty } from '@nestjs/swagger';
import { IsPassword } from '../../auth/decorators/is-password.decorator.js';

export class SetPasswordDto {
  @ApiProperty({ example: 'correct horse battery staple', description: '8 to 72 bytes in UTF-8' })
  @IsPassword()
  readonly newPassword: string;
}
