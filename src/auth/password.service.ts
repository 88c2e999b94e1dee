import { Inject, Injectable } from '@nestjs/common';
import bcrypt from 'bcryptjs';
import { randomBytes } from 'node:crypto';
import { authConfig, type AuthConfig } from '../config/auth.config.js';

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

@Injectable()
export class PasswordService {
  /** A well-formed hash no password matches, at the configured cost: checking it costs what a real check costs. */
  private readonly dummyHash: string;

  constructor(@Inject(authConfig.KEY) private readonly config: AuthConfig) {
    const filler = Array.from(randomBytes(31), (byte) => BCRYPT_ALPHABET[byte % 64]).join('');
    this.dummyHash = bcrypt.genSaltSync(config.bcryptCost) + filler;
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.config.bcryptCost);
  }

  /** Without a stored hash (unknown email) it still spends one full check, so timing tells nothing. */
  async verify(password: string, hash: string | undefined): Promise<boolean> {
    const matches = await bcrypt.compare(password, hash ?? this.dummyHash);
    return hash !== undefined && matches;
  }
}
