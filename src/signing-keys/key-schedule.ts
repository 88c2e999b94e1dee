/** What the schedule needs to know of a stored key. */
export interface ScheduledKey {
  kid: string;
  algorithm: string;
  /** The key signs from this moment until a newer key's `signsFrom`; it is published from its creation. */
  signsFrom: Date;
  createdAt: Date;
}

/**
 * The key that signs at `now`: the latest whose time has come. When none has come yet on this
 * clock (an instance whose clock is behind the one that made the first key), the earliest key:
 * a clock a little behind delays a rotation here, it never leaves the service without a key.
 */
export function signingKeyAt<K extends ScheduledKey>(keys: readonly K[], now: Date): K | undefined {
  let current: K | undefined;
  let earliest: K | undefined;
  for (const key of keys) {
    if (!earliest || later(earliest, key)) earliest = key;
    if (key.signsFrom > now) continue;
    if (!current || later(key, current)) current = key;
  }
  return current ?? earliest;
}

/**
 * The keys tokens may still carry at `now`: the signing key, the keys announced to sign later, and
 * each older key until `graceSeconds` (the access-token lifetime plus clock tolerance) after the
 * key that replaced it began to sign, when the last token it signed has expired.
 */
export function liveKeysAt<K extends ScheduledKey>(keys: readonly K[], now: Date, graceSeconds: number): K[] {
  const current = signingKeyAt(keys, now);
  if (!current) return [...keys];
  return keys.filter((key) => {
    if (key === current || key.signsFrom > now) return true;
    const retiredAt = replacedAt(keys, key, now);
    return retiredAt === undefined || now.getTime() < retiredAt.getTime() + graceSeconds * 1000;
  });
}

/** A key scheduled to sign after the current one, if any. */
export function nextKeyAt<K extends ScheduledKey>(keys: readonly K[], now: Date): K | undefined {
  const current = signingKeyAt(keys, now);
  return keys
    .filter((key) => key !== current && key.signsFrom > now)
    .sort((a, b) => a.signsFrom.getTime() - b.signsFrom.getTime())[0];
}

/**
 * When a new key should begin to sign, or undefined when none is due: one announced ahead by
 * `leadSeconds` when the current key's algorithm is no longer the configured one, or when the
 * current key has signed for `rotationSeconds`. Nothing when a next key is already announced.
 */
export function dueRotation(
  keys: readonly ScheduledKey[],
  now: Date,
  options: { algorithm: string; rotationSeconds?: number; leadSeconds: number },
): Date | undefined {
  const current = signingKeyAt(keys, now);
  if (!current) return now;
  if (nextKeyAt(keys, now)) return undefined;
  const earliest = new Date(now.getTime() + options.leadSeconds * 1000);
  if (current.algorithm !== options.algorithm) return earliest;
  if (options.rotationSeconds === undefined) return undefined;
  const scheduled = new Date(current.signsFrom.getTime() + options.rotationSeconds * 1000);
  if (scheduled.getTime() - options.leadSeconds * 1000 > now.getTime()) return undefined;
  return scheduled > earliest ? scheduled : earliest;
}

function later(a: ScheduledKey, b: ScheduledKey): boolean {
  return a.signsFrom > b.signsFrom || (a.signsFrom.getTime() === b.signsFrom.getTime() && a.createdAt > b.createdAt);
}

/** When the first key newer than `key` began to sign (at or before `now`). */
function replacedAt(keys: readonly ScheduledKey[], key: ScheduledKey, now: Date): Date | undefined {
  let at: Date | undefined;
  for (const other of keys) {
    if (other === key || !later(other, key) || other.signsFrom > now) continue;
    if (!at || other.signsFrom < at) at = other.signsFrom;
  }
  return at;
}
