import { describe, expect, it } from "vitest";

import { IssuerError } from "../../src/issuer/errors.js";
import { createKeySet, retireExpiredKeys, retireKeyNow, rotateKeySet } from "../../src/issuer/key-rotation.js";
import type { KeySet } from "../../src/issuer/key-set.js";
import { isPublished, keyState, RETIRE_MARGIN_SECONDS, signingKey } from "../../src/issuer/key-set.js";
import { keySetViolations, transitionTimes } from "./support/key-invariants.js";

const T0 = Date.parse("2030-01-01T00:00:00Z");
const SEQUENCES = 250;
const STEPS = 40;
const LIFETIMES = [600, 3600, 86_400];
const DELAYS = [0, 15, 600];

/** A small seeded generator (mulberry32), so that a failing sequence can be replayed by its seed. */
function randomSource(seed: number): { below(limit: number): number; pick<T>(values: readonly T[]): T } {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
  const below = (limit: number): number => Math.floor(next() * limit);
  return { below, pick: (values) => values[below(values.length)] as (typeof values)[number] };
}

/** What the simulation remembers about each key, to check promises that span many steps. */
interface History {
  /** Last checked moment at which each key signed, in milliseconds. */
  lastSigned: Map<string, number>;
  /** Keys retired on purpose before their tokens expired, such as a leaked key. */
  retiredEarly: Set<string>;
  /** Keys replaced or retired while pending: they must never sign. */
  neverSign: Set<string>;
}

/** Checks the invariants at every moment where a state can change in `(from, to]`. */
function checkInterval(keySet: KeySet, from: number, to: number, lifetime: number, history: History): string[] {
  for (const time of transitionTimes(keySet, from, to)) {
    const now = new Date(time);
    const violations = keySetViolations(keySet, now, lifetime);
    const signer = signingKey(keySet, now);
    if (signer !== undefined) {
      if (history.neverSign.has(signer.kid)) violations.push(`replaced pending key ${signer.kid} signs`);
      history.lastSigned.set(signer.kid, time);
    }
    for (const key of keySet.keys) {
      const lastSigned = history.lastSigned.get(key.kid);
      if (lastSigned === undefined || history.retiredEarly.has(key.kid) || isPublished(key, now)) continue;
      if (time - lastSigned < (lifetime + RETIRE_MARGIN_SECONDS) * 1000) {
        violations.push(`key ${key.kid} signed at ${new Date(lastSigned).toISOString()} but left the JWKS by ${now.toISOString()}`);
      }
    }
    if (violations.length > 0) return violations.map((violation) => `at ${now.toISOString()}: ${violation}`);
  }
  return [];
}

/** Runs one random sequence of rotations, retirements and clock advances; returns the log and the first violations. */
async function runSequence(seed: number): Promise<{ log: string[]; violations: string[] }> {
  const random = randomSource(seed);
  const lifetime = random.pick(LIFETIMES);
  const history: History = { lastSigned: new Map(), retiredEarly: new Set(), neverSign: new Set() };
  let time = T0;
  let keySet = await createKeySet("ES256", new Date(time));
  const log = [`lifetime ${lifetime}s`];
  const violations = checkInterval(keySet, time - 1, time, lifetime, history);

  for (let step = 0; step < STEPS && violations.length === 0; step++) {
    const now = new Date(time);
    const choice = random.below(100);
    if (choice < 30) {
      const delay = random.below(4) === 0 ? random.below(7200) : random.pick(DELAYS);
      log.push(`+${(time - T0) / 1000}s rotate --activate-after ${delay}s`);
      const pendingBefore = keySet.keys.filter((key) => keyState(keySet, key, now) === "pending");
      keySet = (await rotateKeySet(keySet, { alg: "ES256", now, activationDelaySeconds: delay, maxTokenLifetimeSeconds: lifetime })).keySet;
      for (const key of pendingBefore) {
        history.neverSign.add(key.kid);
        const after = keySet.keys.find((entry) => entry.kid === key.kid);
        if (after?.retiredAt !== now.toISOString() || after.privateJwk !== null) violations.push(`pending key ${key.kid} was not retired by the newer rotation`);
      }
    } else if (choice < 40) {
      log.push(`+${(time - T0) / 1000}s retire`);
      keySet = retireExpiredKeys(keySet, now).keySet;
    } else if (choice < 55) {
      const kid = random.below(8) === 0 ? "unknown" : random.pick(keySet.keys).kid;
      const target = keySet.keys.find((key) => key.kid === kid);
      const state = target === undefined ? "unknown" : keyState(keySet, target, now);
      log.push(`+${(time - T0) / 1000}s retire --kid ${kid} (${state})`);
      try {
        keySet = retireKeyNow(keySet, kid, now).keySet;
        if (state === "active" || state === "retired" || state === "unknown") violations.push(`retire --kid accepted a ${state} key`);
        if (state === "pending") history.neverSign.add(kid);
        else history.retiredEarly.add(kid);
      } catch (error) {
        if (!(error instanceof IssuerError)) throw error;
        if (state === "pending" || state === "superseded") violations.push(`retire --kid rejected a ${state} key: ${error.message}`);
      }
    } else {
      const breakpoints = transitionTimes(keySet, time, Number.MAX_SAFE_INTEGER).filter((value) => value !== Number.MAX_SAFE_INTEGER);
      const seconds = random.pick([1, 15, 600, lifetime, lifetime + RETIRE_MARGIN_SECONDS, random.below(2 * 86_400)]);
      const target = random.below(3) === 0 && breakpoints.length > 0 ? random.pick(breakpoints) : time + seconds * 1000;
      log.push(`advance to +${(target - T0) / 1000}s`);
      violations.push(...checkInterval(keySet, time, target, lifetime, history));
      time = target;
      continue;
    }
    violations.push(...checkInterval(keySet, time - 1, time, lifetime, history));
  }
  return { log, violations };
}

describe("key life cycle", () => {
  it("keeps the invariants over random sequences", async () => {
    for (let seed = 1; seed <= SEQUENCES; seed++) {
      const { log, violations } = await runSequence(seed);
      expect(violations, `seed ${seed}:\n${log.join("\n")}`).toEqual([]);
    }
  });
});
