import { ApiProperty } from '@nestjs/swagger';
import { IsNormalizedEmail } from '../../common/validation/is-normalized-email.decorator.js';

export class ForgotPasswordDto {
  @ApiProperty({ example: 'ada@example.com' })
  @IsNormalizedEmail()
  readonly email: string;
}
