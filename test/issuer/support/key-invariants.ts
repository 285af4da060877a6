import { jwks } from "../../../src/issuer/discovery.js";
import type { KeySet, SigningKey } from "../../../src/issuer/key-set.js";
import { keyState, RETIRE_MARGIN_SECONDS, signingKey } from "../../../src/issuer/key-set.js";

/**
 * Returns every way in which `keySet` at `now` breaks the documented key life cycle,
 * as sentences; empty when it holds. `lifetimeSeconds` is the longest token lifetime
 * that the rotations were given.
 *
 * - exactly one key is active, and it is the key that signs;
 * - the active key has no `retireAt`, or exactly the pending key's activation plus the
 *   lifetime and the margin, so it is published until every token it signs expires;
 * - at most one key is pending, it is the newest published key, and it has no
 *   retirement time;
 * - a superseded key has a `retireAt` in the future;
 * - a retired key has a recorded or passed retirement;
 * - the JWKS lists exactly the keys that are not retired.
 */
export function keySetViolations(keySet: KeySet, now: Date, lifetimeSeconds: number): string[] {
  const violations: string[] = [];
  const time = now.getTime();
  const handover = (lifetimeSeconds + RETIRE_MARGIN_SECONDS) * 1000;
  const states = keySet.keys.map((key) => keyState(keySet, key, now));
  const active = keySet.keys.filter((_, index) => states[index] === "active");
  const pending = keySet.keys.filter((_, index) => states[index] === "pending");
  const signer = signingKey(keySet, now);

  if (active.length !== 1) violations.push(`${active.length} keys are active`);
  if (signer === undefined || active[0] !== signer) violations.push("the signing key is not the one active key");
  if (pending.length > 1) violations.push(`${pending.length} keys are pending`);
  const newestPublished = keySet.keys.filter((_, index) => states[index] !== "retired").at(-1);
  if (pending[0] !== undefined && pending[0] !== newestPublished) violations.push(`pending key ${pending[0].kid} is not the newest published key`);

  const published = new Set(jwks(keySet, now).keys.map((key) => key.kid));
  keySet.keys.forEach((key, index) => {
    const state = states[index] ?? "retired";
    const label = `${state} key ${key.kid}`;
    const activatesAt = Date.parse(key.activatesAt);
    const retireAt = key.retireAt === null ? null : Date.parse(key.retireAt);
    const retiredAt = key.retiredAt === null ? null : Date.parse(key.retiredAt);

    if (published.has(key.kid) !== (state !== "retired")) violations.push(`${label} is ${published.has(key.kid) ? "" : "not "}in the JWKS`);
    if (state !== "retired" && (retiredAt !== null || key.privateJwk === null)) violations.push(`${label} is recorded as retired`);
    if (state === "retired" && !(retiredAt !== null && retiredAt <= time) && !(retireAt !== null && retireAt <= time)) {
      violations.push(`${label} has neither a passed retireAt nor a retiredAt`);
    }
    if (state === "pending" && retireAt !== null) violations.push(`${label} has retireAt ${key.retireAt}`);
    if ((state === "active" || state === "superseded") && activatesAt > time) violations.push(`${label} activates at ${key.activatesAt}, in the future`);
    if (state === "superseded" && (retireAt === null || retireAt <= time)) violations.push(`${label} has retireAt ${String(key.retireAt)}, not in the future`);
    if (state === "active") violations.push(...activeRetirementViolations(key, pending[0], handover, label));
  });
  return violations;
}

function activeRetirementViolations(key: SigningKey, successor: SigningKey | undefined, handover: number, label: string): string[] {
  if (key.retireAt === null) return [];
  if (successor === undefined) return [`${label} has retireAt ${key.retireAt} but no pending successor`];
  const expected = Date.parse(successor.activatesAt) + handover;
  if (Date.parse(key.retireAt) === expected) return [];
  return [`${label} has retireAt ${key.retireAt}; it stops signing at ${successor.activatesAt}, so it must retire at ${new Date(expected).toISOString()}`];
}

/**
 * Returns the times at which a state of `keySet` may change within `(from, to]`, each
 * with the millisecond before it, plus `to`. States change only at the stored
 * timestamps, so checking these times checks every moment of the interval.
 */
export function transitionTimes(keySet: KeySet, from: number, to: number): number[] {
  const times = new Set<number>([to]);
  for (const key of keySet.keys) {
    for (const stamp of [key.activatesAt, key.retireAt, key.retiredAt]) {
      const time = stamp === null ? NaN : Date.parse(stamp);
      if (!(time > from && time <= to)) continue;
      if (time - 1 > from) times.add(time - 1);
      times.add(time);
    }
  }
  return [...times].sort((a, b) => a - b);
}
