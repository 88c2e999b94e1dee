import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, MaxLength, ValidateBy, ValidateIf } from 'class-validator';
import { IsNormalizedEmail } from '../../common/validation/is-normalized-email.decorator.js';
import { normalizeUsername } from '../../common/validation/username.js';
import { IsPassword } from '../decorators/is-password.decorator.js';
import type { LoginIdentifier } from '../../users/users.service.js';

const ONE_IDENTIFIER = 'send exactly one of email and username with the password';

/** Exactly one of `email` and `username` in the body; bound to `email`, so the message comes once. */
const ExactlyOneIdentifier = (): PropertyDecorator =>
  ValidateBy(
    {
      name: 'exactlyOneIdentifier',
      validator: {
        validate: (_value, args) => {
          const { email, username } = args!.object as { email?: unknown; username?: unknown };
          return (email === undefined) !== (username === undefined);
        },
      },
    },
    { message: ONE_IDENTIFIER },
  );

export class LoginDto {
  @ApiPropertyOptional({ example: 'ada@example.com', description: 'Either this or `username`' })
  @ValidateIf((body: LoginDto) => body.email !== undefined || body.username === undefined)
  @ExactlyOneIdentifier()
  @IsNormalizedEmail()
  readonly email?: string;

  // Not checked against the username rules: a name that could never be registered is simply not found.
  @ApiPropertyOptional({ example: 'Romel', description: 'Either this or `email`; whatever its case' })
  @ValidateIf((body: LoginDto) => body.username !== undefined)
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? normalizeUsername(value) : value))
  @IsString()
  @MaxLength(64)
  readonly username?: string;

  // Longer than 72 bytes is refused here too: bcrypt would compare only the first 72.
  @ApiProperty({ example: 'correct horse battery staple' })
  @IsPassword({ minBytes: 1 })
  readonly password: string;

  /** Which account the login names (valid bodies only); what passport-local reads as its "username". */
  get identifier(): string {
    return this.email ?? this.username ?? '';
  }

  toIdentifier(): LoginIdentifier {
    return this.email !== undefined ? { email: this.email } : { username: this.username ?? '' };
  }
}
