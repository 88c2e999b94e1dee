/** Who the provider says signed in. `subject` is its stable id; the email is for display and a new account only. */
export interface ProviderProfile {
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
}

/** What the callback must check: the values kept since `start`. */
export interface FlowChecks {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** The provider's answer did not hold (wrong nonce, bad ID token, a refused code…): the sign-in fails with this code. */
export class ProviderRefusal extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
