import { ApiProperty } from '@nestjs/swagger';
import { IsNormalizedEmail } from '../../common/validation/is-normalized-email.decorator.js';
import { IsPassword } from '../decorators/is-password.decorator.js';

export class LoginDto {
  @ApiProperty({ example: 'ada@example.com' })
  @IsNormalizedEmail()
  readonly email: string;

  // Longer than 72 bytes is refused here too: bcrypt would compare only the first 72.
  @ApiProperty({ example: 'correct horse battery staple' })
  @IsPassword({ minBytes: 1 })
  readonly password: string;
}
