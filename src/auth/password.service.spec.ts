import bcrypt from 'bcryptjs';
import { describe, expect, it, vi } from 'vitest';
import type { AuthConfig } from '../config/auth.config.js';
import { PasswordService } from './password.service.js';

describe(PasswordService.name, () => {
  const passwords = new PasswordService({ bcryptCost: 5 } as AuthConfig);

  it('should hash at the configured cost and check the right password only', async () => {
    const hash = await passwords.hash('correct horse');

    expect(bcrypt.getRounds(hash)).toBe(5);
    await expect(passwords.verify('correct horse', hash)).resolves.toBe(true);
    await expect(passwords.verify('wrong horse', hash)).resolves.toBe(false);
  });

  it('should spend a full check at the same cost when there is no stored hash', async () => {
    const compare = vi.spyOn(bcrypt, 'compare');

    await expect(passwords.verify('anything', undefined)).resolves.toBe(false);

    expect(compare).toHaveBeenCalledOnce();
    const [, usedHash] = compare.mock.calls[0] as [string, string];
    expect(bcrypt.getRounds(usedHash)).toBe(5);
    expect(usedHash).toHaveLength(60);
    compare.mockRestore();
  });
});
