/**
 * Every `code` an error answer can carry, with the status it comes with and what it means. Clients
 * branch on the code, never on the message; the README and the OpenAPI document are built from this
 * list. Codes are stable: add new ones, never rename or reuse one.
 */
export const ERROR_CODES = {
  validation_failed: { status: 400, description: 'The body, query or path failed validation; `message` lists each problem' },
  bad_request: { status: 400, description: 'The request is malformed (bad JSON, bad URL, a header the route needs)' },
  password_policy: {
    status: 400,
    description: 'The new password is too common or equals the email, its name part or the current password',
  },
  one_time_token_invalid: {
    status: 400,
    description:
      'A mailed link or code that is unknown, already used, expired, for another action, or no longer matches the account',
  },
  already_verified: { status: 409, description: 'The email address is already verified' },
  email_unchanged: { status: 400, description: 'The new email address is the one the account already has' },
  signing_key_invalid: {
    status: 400,
    description: 'The key to import is not a PEM private key of a supported type (EC P-256 or RSA of 2048 bits or more)',
  },
  cursor_invalid: {
    status: 400,
    description: 'The `cursor` of a list is malformed (pass the `nextCursor` the list answered, or none)',
  },
  webauthn_challenge_invalid: {
    status: 400,
    description:
      'The challenge of a passkey request is unknown, already used, expired, or for another request: ask for new options',
  },
  passkey_rejected: {
    status: 400,
    description: 'The new passkey could not be verified (another site or relying party, no user presence, a malformed response)',
  },
  token_missing: { status: 401, description: 'No `Authorization: Bearer <token>` header was sent' },
  token_invalid: { status: 401, description: 'The access token is malformed, badly signed, or not one this service issued' },
  token_expired: { status: 401, description: 'The access token has expired: refresh it' },
  session_ended: {
    status: 401,
    description: 'The session of the access token has ended (logout, password change, disabled or deleted account)',
  },
  invalid_credentials: { status: 401, description: 'Unknown account or wrong password (one answer for both)' },
  refresh_token_invalid: { status: 401, description: 'The refresh token is unknown, expired, or its session has ended' },
  refresh_token_reused: { status: 401, description: 'An already spent refresh token was presented: the session has been ended' },
  refresh_token_missing: {
    status: 401,
    description: 'Cookie mode without a refresh cookie (signed out, or the cookie has run out)',
  },
  client_unauthorized: {
    status: 401,
    description: 'The introspection client is unknown or its secret is wrong (send them as HTTP Basic credentials)',
  },
  metrics_unauthorized: {
    status: 401,
    description: 'The metrics token is missing or wrong (send `Authorization: Bearer <METRICS_TOKEN>`)',
  },
  mfa_code_invalid: {
    status: 401,
    description: 'The second-factor code is wrong, or was already used (a code from an authenticator app works once)',
  },
  mfa_token_invalid: {
    status: 401,
    description:
      "The login's `mfaToken` is unknown, expired (5 minutes), spent, dead after 5 wrong codes, or sent in another transport: log in again",
  },
  passkey_invalid: {
    status: 401,
    description:
      'The passkey could not sign in: unknown, a signature that does not hold, another site or relying party, another user, or a signature counter that went back',
  },
  password_incorrect: { status: 403, description: 'The current password, asked again before a sensitive change, is wrong' },
  mfa_code_incorrect: {
    status: 403,
    description: 'The second-factor code, asked for before a change to second factors, is wrong or was already used',
  },
  account_disabled: { status: 403, description: 'The account is disabled by an administrator' },
  email_not_verified: { status: 403, description: 'The account must verify its email address before logging in' },
  forbidden: { status: 403, description: 'The caller lacks the role the route needs' },
  mfa_setup_required: {
    status: 403,
    description:
      'REQUIRE_MFA_FOR_ADMINS is on and this admin session was signed in without a second factor: set one up, then sign in with it',
  },
  cross_site_request: { status: 403, description: 'Cookie mode from an origin that is not allowed' },
  not_found: { status: 404, description: 'No such route, user or session' },
  request_timeout: { status: 408, description: 'The request was not received in time' },
  email_taken: { status: 409, description: 'The email address is already registered' },
  email_missing: { status: 409, description: 'The account has no email address to verify: add one first' },
  oauth_provider_unknown: { status: 404, description: 'No sign-in provider is configured under this name (OAUTH_PROVIDERS)' },
  oauth_redirect_refused: {
    status: 400,
    description: 'redirect_to is not a page of this service, of APP_URL, or of OAUTH_REDIRECT_ALLOWLIST',
  },
  oauth_provider_unavailable: { status: 503, description: 'The sign-in provider cannot be reached right now' },
  oauth_state_invalid: { status: 400, description: 'The provider sign-in coming back is unknown, already finished or expired' },
  oauth_code_invalid: {
    status: 400,
    description: 'The one-time code is unknown, used, expired, or does not match the code verifier',
  },
  password_already_set: { status: 409, description: 'The account has a password: change it with the current one' },
  reauthentication_required: {
    status: 403,
    description: 'This change needs a sign-in of the last 10 minutes (an account without a password)',
  },
  last_sign_in_method: { status: 409, description: 'It is the last way to sign in to the account' },
  username_required: {
    status: 409,
    description: 'The account has no email address: its username is how it signs in, and cannot be removed',
  },
  username_taken: { status: 409, description: 'Another account has this username, in some case' },
  mfa_already_enabled: {
    status: 409,
    description: 'Two-step verification is already on: turn it off before setting up another app',
  },
  mfa_not_enabled: {
    status: 409,
    description: 'Two-step verification is not on for this account (or, to confirm it, no setup is under way)',
  },
  passkey_exists: { status: 409, description: 'The passkey is registered already' },
  last_admin: { status: 409, description: 'The change would leave the service without an active admin' },
  conflict: { status: 409, description: 'A concurrent change got in the way; try again' },
  payload_too_large: { status: 413, description: 'The body is larger than the service accepts' },
  unsupported_media_type: { status: 415, description: 'The body is not JSON: send `Content-Type: application/json`' },
  account_locked: {
    status: 429,
    description: 'Too many failed password checks for this account; `Retry-After` says when to try again',
  },
  rate_limited: { status: 429, description: 'Too many requests; `Retry-After` says how many seconds to wait' },
  internal_error: { status: 500, description: 'An unexpected error; the answer carries a `requestId` that is also logged' },
  service_unavailable: { status: 503, description: 'A dependency (database, Redis) is unavailable; try again shortly' },
  shutting_down: {
    status: 503,
    description: 'This instance is shutting down and takes no new requests; try again (another instance will answer)',
  },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The code an error gets when whoever raised it named none: one per status. */
const DEFAULT_CODES: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'token_invalid',
  403: 'forbidden',
  404: 'not_found',
  408: 'request_timeout',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'service_unavailable',
};

export function defaultCode(status: number): ErrorCode {
  return DEFAULT_CODES[status] ?? (status >= 500 ? 'internal_error' : 'bad_request');
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
