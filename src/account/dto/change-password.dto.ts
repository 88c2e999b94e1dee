import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { IsPassword, NormalizePassword } from '../../auth/decorators/is-password.decorator.js';

export class ChangePasswordDto {
  @ApiProperty()
  @NormalizePassword()
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  readonly currentPassword: string;

  @ApiProperty({ example: 'a new correct horse battery staple', description: '8 to 72 bytes in UTF-8, not the current one' })
  @IsPassword()
  readonly newPassword: string;
}
