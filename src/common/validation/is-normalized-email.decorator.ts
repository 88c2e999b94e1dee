import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, MaxLength } from 'class-validator';
import { NoFormatCharacters } from './no-format-characters.decorator.js';

/** An email address, trimmed and lower-cased before it is checked or stored; no invisible characters. */
export function IsNormalizedEmail(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value)),
    IsString(),
    MaxLength(254),
    NoFormatCharacters(),
    IsEmail({}, { message: ({ property }) => `${property} must be a valid email address` }),
  );
}
