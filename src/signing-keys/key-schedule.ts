/** What the schedule needs to know of a stored key. */
export interface ScheduledKey {
  kid: string;
  algorithm: string;
  /** The key signs from this moment until a newer key's `signsFrom`; it is published from its creation. */
  signsFrom: Date;
  createdAt: Date;
  /** A revoked key is never used again, but if it signed before, it still ended its predecessor's turn. */
  revokedAt: Date | null;
}

/**
 * The key that signs at `now`: the latest unrevoked key whose time has come. When none has come yet
 * on this clock (an instance whose clock is behind the one that made the first key), the earliest:
 * a clock a little behind delays a rotation here, it never leaves the service without a key.
 */
export function signingKeyAt<K extends ScheduledKey>(keys: readonly K[], now: Date): K | undefined {
  let current: K | undefined;
  let earliest: K | undefined;
  for (const key of keys) {
    if (key.revokedAt) continue;
    if (!earliest || later(earliest, key)) earliest = key;
    if (key.signsFrom > now) continue;
    if (!current || later(key, current)) current = key;
  }
  return current ?? earliest;
}

/**
 * The keys tokens may still carry at `now`: the signing key, the keys announced to sign later, and
 * each older key until `graceSeconds` after a newer key began to sign (its last token has expired by
 * then). A newer key that signed and was revoked later still ended the older key's turn: revoking a
 * key never brings back the one it replaced. Revoked keys are never live.
 */
export function liveKeysAt<K extends ScheduledKey>(keys: readonly K[], now: Date, graceSeconds: number): K[] {
  const current = signingKeyAt(keys, now);
  const starts = keys
    .filter((key) => key.signsFrom <= now && signed(key))
    .sort((a, b) => a.signsFrom.getTime() - b.signsFrom.getTime() || a.createdAt.getTime() - b.createdAt.getTime());
  return keys.filter((key) => {
    if (key.revokedAt) return false;
    if (key === current || key.signsFrom > now) return true;
    const replacedBy = starts.find((other) => later(other, key));
    return !replacedBy || now.getTime() < replacedBy.signsFrom.getTime() + graceSeconds * 1000;
  });
}

/** A key scheduled to sign after the current one, if any. */
export function nextKeyAt<K extends ScheduledKey>(keys: readonly K[], now: Date): K | undefined {
  const current = signingKeyAt(keys, now);
  return keys
    .filter((key) => !key.revokedAt && key !== current && key.signsFrom > now)
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

/** Whether the key ever signed: it was not revoked before its time came. */
function signed(key: ScheduledKey): boolean {
  return !key.revokedAt || key.revokedAt > key.signsFrom;
}

function later(a: ScheduledKey, b: ScheduledKey): boolean {
  return a.signsFrom > b.signsFrom || (a.signsFrom.getTime() === b.signsFrom.getTime() && a.createdAt > b.createdAt);
}
