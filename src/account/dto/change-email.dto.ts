import { ApiProperty } from '@nestjs/swagger';
import { IsNormalizedEmail } from '../../common/validation/is-normalized-email.decorator.js';
import { PasswordConfirmationDto } from './password-confirmation.dto.js';

export class ChangeEmailDto extends PasswordConfirmationDto {
  @ApiProperty({ example: 'ada@new.example.com' })
  @IsNormalizedEmail()
  readonly newEmail: string;
}
