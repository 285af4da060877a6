import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { writeCredentials } from "../../src/credentials/deliver.js";
import type { DeliveryOptions } from "../../src/credentials/deliver.js";
import { createLogger } from "../../src/log/logger.js";
import { loadWorkloadMapping } from "../../src/credentials/mapping.js";
import { selectTargets } from "../../src/credentials/targets.js";
import { retryDelayMs, TokenRefresher } from "../../src/credentials/watch.js";
import { loadIssuerConfig } from "../../src/issuer/config.js";
import { IssuerError } from "../../src/issuer/errors.js";
import { createKeySet } from "../../src/issuer/key-rotation.js";
import type { KeySet } from "../../src/issuer/key-set.js";
import type { KeySetSource } from "../../src/issuer/key-source.js";
import { TokenSigner } from "../../src/issuer/token.js";
import { writeConfigRepo } from "./support/config-repo.js";

/** A key source that fails while `failing` is above zero, counting down on each load. */
class FlakyKeySource implements KeySetSource {
  readonly description = "flaky test source";
  failing = 0;

  constructor(private readonly keySet: KeySet) {}

  load(): Promise<KeySet> {
    if (this.failing > 0) {
      this.failing -= 1;
      return Promise.reject(new IssuerError("key file cannot be read (test)"));
    }
    return Promise.resolve(this.keySet);
  }
}

interface LogLine {
  msg: string;
  level: string;
  attempt?: number;
  expired?: boolean;
  retryInMs?: number;
  err?: { message: string };
}

describe("TokenRefresher", () => {
  it("retries a failed refresh before the old token expires", async () => {
    const { root, model, settings } = await loadIssuerConfig(await writeConfigRepo());
    const out = await mkdtemp(path.join(tmpdir(), "wid-watch-"));
    const { targets } = selectTargets(model, await loadWorkloadMapping(root, model, settings), { outDir: out, workloads: ["shop/worker"] });
    const source = new FlakyKeySource(await createKeySet("ES256", new Date()));
    const lines: LogLine[] = [];
    const logger = createLogger({ destination: { write: (line: string) => lines.push(JSON.parse(line) as LogLine) } });
    const delivery: DeliveryOptions = { signer: new TokenSigner(source), issuer: settings.issuer, lifetimeSeconds: 6, tokenFileMode: 0o600 };

    const [first] = await writeCredentials(targets, delivery);
    const firstToken = await readFile(path.join(out, "awstoken"), "utf8");
    source.failing = 2;
    const refresher = new TokenRefresher(delivery, logger);
    refresher.start(targets, first === undefined ? [] : [first]);

    // The refresh is due 4.8 s after iat; two failures, 300 ms apart, end before exp at 6 s.
    while (refresher.stats().refreshes === 0 && Date.now() < (first?.expiresAtMs ?? 0) + 5000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await readFile(path.join(out, "awstoken"), "utf8")).not.toBe("");
    }
    await refresher.stop();

    const refreshedAt = Date.now();
    expect(refresher.stats()).toEqual({ refreshes: 1, failures: 2 });
    expect(refreshedAt).toBeLessThan(first?.expiresAtMs ?? 0);
    expect(await readFile(path.join(out, "awstoken"), "utf8")).not.toBe(firstToken);

    const failures = lines.filter((line) => line.msg === "token file refresh failed");
    expect(failures.map((line) => line.attempt)).toEqual([1, 2]);
    expect(failures.map((line) => line.expired)).toEqual([false, false]);
    expect(failures.map((line) => line.retryInMs)).toEqual([300, 300]);
    expect(failures[0]?.err?.message).toBe("key file cannot be read (test)");
    expect(failures.every((line) => line.level === "error")).toBe(true);
    expect(lines.filter((line) => line.msg === "token file refreshed")).toHaveLength(1);
  }, 20_000);
});

describe("retryDelayMs", () => {
  it("backs off to a twentieth of the lifetime", () => {
    expect([1, 2, 3, 8, 9].map((attempt) => retryDelayMs(attempt, 3600))).toEqual([1000, 2000, 4000, 128_000, 180_000]);
  });

  it("leaves four retries before a ten-minute token expires", () => {
    // The refresh is due at 80% of 600 s, so 120 s remain.
    let elapsed = 0;
    let attempts = 0;
    while (elapsed + retryDelayMs(attempts + 1, 600) < 120_000) elapsed += retryDelayMs(++attempts, 600);
    expect(attempts).toBeGreaterThanOrEqual(4);
  });
});
