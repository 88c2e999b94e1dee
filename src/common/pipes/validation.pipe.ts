import { ArgumentMetadata, BadRequestException, ValidationPipe } from '@nestjs/common';

/** A NUL, or half of a UTF-16 surrogate pair: Postgres refuses the first, and the second is not text. */
// eslint-disable-next-line no-control-regex -- finding NUL is the point
const UNSAFE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const MAX_DEPTH = 32;

function findUnsafe(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return UNSAFE.test(value) ? path || 'value' : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  if (depth > MAX_DEPTH) return path || 'value';
  for (const [key, item] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (UNSAFE.test(key)) return at;
    const found = findUnsafe(item, at, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * The one input validation: unknown fields are refused, values are converted to their DTO types, and
 * text with NUL characters or unpaired surrogates is refused before anything else sees it.
 */
export class AppValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      transformOptions: { enableImplicitConversion: false },
      validationError: { target: false, value: false },
    });
  }

  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom') {
      const field = findUnsafe(value, '');
      if (field) throw new BadRequestException([`${field} must not contain NUL characters or unpaired surrogates`]);
    }
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

export function createValidationPipe(): AppValidationPipe {
  return new AppValidationPipe();
}
