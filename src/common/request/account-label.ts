import type { RequestUser } from './auth-user.js';

/**
 * How an account is named to its owner where one name is needed (an authenticator app's entry, a
 * passkey's user name): its email, else its username, else its display name, else its id (an account
 * made by a provider sign-in may have none of the others).
 */
export function accountLabel(user: Pick<RequestUser, 'id' | 'email' | 'username' | 'name'>): string {
  return user.email ?? user.username ?? user.name ?? user.id;
}
