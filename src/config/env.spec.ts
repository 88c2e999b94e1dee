import { IsInt, Max } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { parseDuration, parseList, readEnv } from './env.js';

class SampleEnv {
  @IsInt()
  @Max(10)
  LIMIT: number = 5;
}

describe(parseDuration.name, () => {
  it.each([
    ['900', 900],
    ['900s', 900],
    ['15m', 900],
    ['12h', 43_200],
    ['30d', 2_592_000],
    [' 7 d ', 604_800],
  ])('should read %j as %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', 'abc', '-5', '1.5h', '10w'])('should refuse %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe(parseList.name, () => {
  it('should split on commas and drop blanks', () => {
    expect(parseList(' a, b ,,c ')).toEqual(['a', 'b', 'c']);
    expect(parseList(undefined)).toEqual([]);
  });
});

describe(readEnv.name, () => {
  it('should apply defaults and convert strings to the declared types', () => {
    expect(readEnv(SampleEnv, {}).LIMIT).toBe(5);
    expect(readEnv(SampleEnv, { LIMIT: '7' }).LIMIT).toBe(7);
  });

  it('should treat an empty value as unset', () => {
    expect(readEnv(SampleEnv, { LIMIT: '' }).LIMIT).toBe(5);
  });

  it('should stop with a message that names the bad variable', () => {
    expect(() => readEnv(SampleEnv, { LIMIT: '11' })).toThrow(
      /Invalid configuration:\n {2}- LIMIT: LIMIT must not be greater than 10/,
    );
    expect(() => readEnv(SampleEnv, { LIMIT: 'many' })).toThrow(/- LIMIT: LIMIT must be an integer number$/);
  });
});
