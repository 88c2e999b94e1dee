import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, ValidateBy, ValidateIf } from 'class-validator';
import { IsUsername, USERNAME_MAX_LENGTH, USERNAME_MIN_LENGTH } from '../../common/validation/username.js';
import { IsDisplayName } from '../../users/decorators/is-display-name.decorator.js';
import { IsNormalizedEmail } from '../../common/validation/is-normalized-email.decorator.js';
import { IsPassword, PASSWORD_MAX_BYTES, PASSWORD_MIN_BYTES } from '../../auth/decorators/is-password.decorator.js';

const hasIdentifier = (body: object): boolean => {
  const { email, username } = body as { email?: unknown; username?: unknown };
  return email !== undefined || username !== undefined;
};

export class RegisterDto {
  @ApiPropertyOptional({
    example: 'ada@example.com',
    maxLength: 254,
    description: 'Trimmed and lower-cased. An email, a username or both; the email is required when REQUIRE_EMAIL is on',
  })
  @ValidateIf((body: RegisterDto) => body.email !== undefined || body.username === undefined)
  @ValidateBy(
    { name: 'emailOrUsername', validator: { validate: (_value, args) => hasIdentifier(args!.object) } },
    { message: 'send an email, a username or both with the password' },
  )
  @IsNormalizedEmail()
  readonly email?: string;

  @ApiPropertyOptional({
    example: 'Romel',
    minLength: USERNAME_MIN_LENGTH,
    maxLength: USERNAME_MAX_LENGTH,
    description:
      'Letters, digits, ".", "_" and "-", NFKC-normalised; kept as spelled, unique whatever its case; not an email address, not a reserved name',
  })
  @IsOptional()
  @IsUsername()
  readonly username?: string;

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
