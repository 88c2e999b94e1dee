import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, ValidateBy, ValidateIf } from 'class-validator';
import { IsUsername, USERNAME_MAX_LENGTH, USERNAME_MIN_LENGTH } from '../../common/validation/username.js';
import { IsDisplayName } from '../../users/decorators/is-display-name.decorator.js';

export class UpdateProfileDto {
  @ApiPropertyOptional({ example: 'Ada Lovelace', maxLength: 100 })
  @ValidateIf((body: UpdateProfileDto) => body.name !== undefined || body.username === undefined)
  @ValidateBy(
    {
      name: 'someChange',
      validator: { validate: (_value, args) => Object.keys(args!.object).some((key) => key === 'name' || key === 'username') },
    },
    { message: 'send name, username or both' },
  )
  @IsDisplayName()
  readonly name?: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'Romel',
    minLength: USERNAME_MIN_LENGTH,
    maxLength: USERNAME_MAX_LENGTH,
    description: 'A new username (the old one is free at once), or null to remove it from an account that has an email',
  })
  @IsOptional()
  @IsUsername()
  readonly username?: string | null;
}
