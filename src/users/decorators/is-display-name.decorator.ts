import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';
import { NoFormatCharacters } from '../../common/validation/no-format-characters.decorator.js';

export const NAME_MAX_LENGTH = 100;

/** A person's display name: trimmed, 1 to 100 characters, no control or invisible characters. */
export function IsDisplayName(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value)),
    IsString(),
    IsNotEmpty({ message: 'name must not be empty' }),
    MaxLength(NAME_MAX_LENGTH),
    Matches(/^\P{Cc}*$/u, { message: 'name must not contain control characters' }),
    NoFormatCharacters({ allowJoiners: true }),
  );
}
