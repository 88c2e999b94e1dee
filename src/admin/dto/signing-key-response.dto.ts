import { ApiProperty } from '@nestjs/swagger';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../../config/auth.config.js';
import type { KeyState, KeyView } from '../../signing-keys/signing-keys.service.js';

/** A signing key as an admin sees it: never any part of the private key. */
export class SigningKeyResponseDto {
  @ApiProperty({ description: 'The key id tokens carry in their header (RFC 7638 thumbprint for EC and RSA keys)' })
  kid: string;

  @ApiProperty({ enum: SIGNING_ALGORITHMS })
  algorithm: SigningAlgorithm;

  @ApiProperty({ enum: ['generated', 'imported'] })
  source: 'generated' | 'imported';

  @ApiProperty({
    enum: ['next', 'signing', 'retiring'],
    description:
      'next: published, signs from `signsFrom`; signing: signs new tokens; retiring: replaced, verifies its tokens until they expire',
  })
  state: KeyState;

  @ApiProperty({ description: 'Whether it is in the JWKS (HMAC keys never are)' })
  published: boolean;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  signsFrom: Date;

  static from(key: KeyView): SigningKeyResponseDto {
    return Object.assign(new SigningKeyResponseDto(), key);
  }
}
