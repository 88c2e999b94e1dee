import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsString, ValidateBy, ValidationOptions } from 'class-validator';

export const PASSWORD_MIN_BYTES = 8;
/** bcrypt reads only the first 72 bytes: a longer password is refused rather than silently cut. */
export const PASSWORD_MAX_BYTES = 72;

function byteLength(value: unknown): number {
  return typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : 0;
}

/** Unicode NFC, so the same password typed on two keyboards (composed or decomposed accents) matches. */
export const NormalizePassword = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.normalize('NFC') : value));

/**
 * A password of 8 (or `minBytes`) to 72 bytes in UTF-8 once NFC-normalised, each bound with its own
 * message. Every route that takes a password uses it: a current password checked with bcrypt is capped
 * at 72 bytes too, or anything after them would be ignored.
 */
export function IsPassword(options: { minBytes?: number } = {}): PropertyDecorator {
  const minBytes = options.minBytes ?? PASSWORD_MIN_BYTES;
  const atLeast: ValidationOptions = {
    message: ({ property }) =>
      minBytes <= 1
        ? `${property} must not be empty`
        : `${property} must be at least ${minBytes} bytes long (${minBytes} ASCII characters)`,
  };
  const atMost: ValidationOptions = {
    message: ({ property }) => `${property} must be at most ${PASSWORD_MAX_BYTES} bytes in UTF-8 (bcrypt ignores the rest)`,
  };
  return applyDecorators(
    NormalizePassword(),
    IsString(),
    ValidateBy({ name: 'passwordMinBytes', validator: { validate: (value) => byteLength(value) >= minBytes } }, atLeast),
    ValidateBy({ name: 'passwordMaxBytes', validator: { validate: (value) => byteLength(value) <= PASSWORD_MAX_BYTES } }, atMost),
  );
}
