import { Injectable } from '@nestjs/common';
import { ApiException } from '../common/errors/api.exception.js';

/**
 * Checks a second-factor code (an authenticator-app code or a recovery code) asked again before a
 * passkey is removed: resolves when it is right, throws the ApiException to answer otherwise. Bound in
 * PasskeysModule; the default below knows no second factor.
 */
export abstract class SecondFactorCheck {
  abstract verify(userId: string, code: string): Promise<void>;
}

/** Until a second-factor feature provides the check: a code cannot confirm anything, the password can. */
@Injectable()
export class NoSecondFactorCheck extends SecondFactorCheck {
  verify(): Promise<void> {
    return Promise.reject(
      new ApiException('validation_failed', ['code: this account has no second factor; confirm with the password']),
    );
  }
}
