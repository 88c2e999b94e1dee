import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IsDisplayName } from '../../users/decorators/is-display-name.decorator.js';
import { IsNormalizedEmail } from '../../common/validation/is-normalized-email.decorator.js';
import { IsPassword, PASSWORD_MAX_BYTES, PASSWORD_MIN_BYTES } from '../../auth/decorators/is-password.decorator.js';

export class RegisterDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254, description: 'Trimmed and lower-cased' })
  @IsNormalizedEmail()
  readonly email: string;

  @ApiProperty({
    example: 'correct horse battery staple',
    description: `${PASSWORD_MIN_BYTES} to ${PASSWORD_MAX_BYTES} bytes in UTF-8`,
  })
  @IsPassword()
  readonly password: string;

  @ApiPropertyOptional({ example: 'Ada Lovelace', maxLength: 100 })
  @IsOptional()
  @IsDisplayName()
  readonly name?: string;
}
