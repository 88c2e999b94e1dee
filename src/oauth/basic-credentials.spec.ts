import { describe, expect, it } from 'vitest';
import { parseBasicCredentials } from './basic-credentials.js';

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe(parseBasicCredentials.name, () => {
  it('should read the id and secret of a Basic header, the scheme in any case', () => {
    expect(parseBasicCredentials(`Basic ${base64('billing:s3cret')}`)).toEqual({ id: 'billing', secret: 's3cret' });
    expect(parseBasicCredentials(`basic ${base64('billing:s3cret')}`)).toEqual({ id: 'billing', secret: 's3cret' });
    expect(parseBasicCredentials(`BASIC  ${base64('billing:s3cret')}`)).toEqual({ id: 'billing', secret: 's3cret' });
  });

  it('should form-decode each part, as RFC 6749 §2.3.1 has clients encode them', () => {
    expect(parseBasicCredentials(`Basic ${base64('my%20client:a%3Ab+c%2Bd%25')}`)).toEqual({
      id: 'my client',
      secret: 'a:b c+d%',
    });
  });

  it('should split at the first colon only: a colon sent unencoded belongs to the secret', () => {
    expect(parseBasicCredentials(`Basic ${base64('billing:a:b')}`)).toEqual({ id: 'billing', secret: 'a:b' });
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['another scheme', `Bearer ${base64('billing:s3cret')}`],
    ['no credentials', 'Basic '],
    ['characters outside base64', 'Basic bi!!ing'],
    ['no colon', `Basic ${base64('billing')}`],
    ['an empty id', `Basic ${base64(':s3cret')}`],
    ['an empty secret', `Basic ${base64('billing:')}`],
    ['a malformed escape', `Basic ${base64('billing:%E0%A4%A')}`],
  ])('should refuse %s', (_case, header) => {
    expect(parseBasicCredentials(header)).toBeNull();
  });
});
