/** `Basic <token68>`, the scheme in any case (RFC 7235 §2.1), the token standard base64 (RFC 7617). */
const BASIC = /^Basic +([A-Za-z0-9+/]+={0,2})$/i;

export interface BasicCredentials {
  id: string;
  secret: string;
}

/**
 * The client id and secret of an `Authorization: Basic` header: base64 of `id:secret`, each part
 * form-encoded first (RFC 6749 §2.3.1), so an id or secret may hold a colon as `%3A`. Null for any
 * other header, and for an empty id or secret.
 */
export function parseBasicCredentials(header: string | undefined): BasicCredentials | null {
  const match = header === undefined ? null : BASIC.exec(header.trim());
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const id = formDecoded(decoded.slice(0, colon));
  const secret = formDecoded(decoded.slice(colon + 1));
  return id && secret ? { id, secret } : null;
}

/** `application/x-www-form-urlencoded` decoding: `+` is a space; null for a malformed escape. */
function formDecoded(text: string): string | null {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}
