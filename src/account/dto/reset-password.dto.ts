import { ApiProperty } from '@nestjs/swagger';
import { IsPassword } from '../../auth/decorators/is-password.decorator.js';
import { TokenDto } from './token.dto.js';

export class ResetPasswordDto extends TokenDto {
  @ApiProperty({ example: 'a new correct horse battery staple', description: '8 to 72 bytes in UTF-8' })
  @IsPassword()
  readonly newPassword: string;
}
