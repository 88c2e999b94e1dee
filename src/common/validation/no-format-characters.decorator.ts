import { ValidateBy } from 'class-validator';

/** Unicode's format characters (category Cf): invisible, or changing the direction of the text around them. */
const FORMAT_CHARACTER = /\p{Cf}/u;
/** In a name, a zero-width (non-)joiner between two visible characters is spelling (Persian, emoji sequences), not a disguise. */
const JOINER_INSIDE_WORD = /(?<=[^\p{Cf}\s])[\u200C\u200D](?=[^\p{Cf}\s])/gu;

/**
 * Refuses text holding invisible or direction-changing characters (U+200B, U+2060, U+00AD, U+202E…),
 * which make look-alike accounts and names. `allowJoiners` keeps U+200C and U+200D between two visible
 * characters, as names in some scripts and emoji sequences need.
 */
export function NoFormatCharacters(options: { allowJoiners?: boolean } = {}): PropertyDecorator {
  return ValidateBy(
    {
      name: 'noFormatCharacters',
      validator: {
        validate: (value: unknown) =>
          typeof value !== 'string' ||
          !FORMAT_CHARACTER.test(options.allowJoiners ? value.replace(JOINER_INSIDE_WORD, '') : value),
      },
    },
    {
      message: ({ property }) =>
        `${property} must not contain invisible or direction-changing characters (such as U+200B, U+00AD or U+202E)`,
    },
  );
}
