import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';
import { NoFormatCharacters } from '../../common/validation/no-format-characters.decorator.js';

export const PASSKEY_NAME_MAX_LENGTH = 64;

/** What the owner calls a passkey: trimmed, 1 to 64 characters, no control or invisible characters. */
export function IsPasskeyName(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value)),
    IsString(),
    IsNotEmpty({ message: 'name must not be empty' }),
    MaxLength(PASSKEY_NAME_MAX_LENGTH),
    Matches(/^\P{Cc}*$/u, { message: 'name must not contain control characters' }),
    NoFormatCharacters({ allowJoiners: true }),
  );
}
