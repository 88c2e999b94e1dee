import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { NormalizePassword } from '../../auth/decorators/is-password.decorator.js';

/** The current password, asked again before a sensitive change. */
export class PasswordConfirmationDto {
  @ApiProperty({ description: 'The current password' })
  @NormalizePassword()
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  readonly password: string;
}
