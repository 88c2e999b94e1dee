import { describe, expect, it } from 'vitest';
import { securityHeaders } from './security-headers.js';

describe('securityHeaders', () => {
  it('should give API answers the headers a JSON answer needs, with HSTS in production only', () => {
    const development = securityHeaders(false).api;
    const production = securityHeaders(true).api;

    expect(development).toEqual({
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'referrer-policy': 'no-referrer',
    });
    expect(production).toEqual({ ...development, 'strict-transport-security': 'max-age=31536000; includeSubDomains' });
  });

  it('should give documents helmet’s set, uncached, with HSTS in production only', () => {
    const development = securityHeaders(false).page;
    const production = securityHeaders(true).page;

    expect(development['content-security-policy']).toContain("script-src 'self'");
    expect(development['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(development['x-frame-options']).toBe('SAMEORIGIN');
    expect(development['cache-control']).toBe('no-store');
    expect(development['strict-transport-security']).toBeUndefined();
    expect(production['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });
});
