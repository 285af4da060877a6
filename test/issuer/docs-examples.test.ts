import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { describe, expect, it } from "vitest";

import { parseKeySet } from "../../src/issuer/key-file.js";
import { runCli } from "../support/cli.js";
import { writeConfigRepo } from "../credentials/support/config-repo.js";

const DOCS = fileURLToPath(new URL("../../docs/", import.meta.url));

/** Returns the lines of the first `sh` block of `file` that contains `marker`, without comments. */
async function shellExample(file: string, marker: string): Promise<string[]> {
  const text = await readFile(path.join(DOCS, file), "utf8");
  const block = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? "").find((body) => body.includes(marker));
  expect(block, `${file} has a sh block with ${marker}`).toBeDefined();
  return (block ?? "").split("\n").filter((line) => line.trim() !== "" && !line.startsWith("#"));
}

describe("docs examples", () => {
  it("publishes the JWKS for an upload outside the config", async () => {
    const [publish = "", apply = ""] = await shellExample("gcp.md", "wid issuer publish");
    const repo = await writeConfigRepo();
    // The example runs in a folder of its own, with the key file next to it.
    const work = await mkdtemp(path.join(tmpdir(), "wid-docs-gcp-"));
    expect((await runCli(["issuer", "init", "--keys", path.join(work, "keys.json")])).code).toBe(0);

    const args = publish.split(/\s+/).slice(1).map((word) => (word === "DIR" ? repo : word));
    const published = await runCli(args, { cwd: work });
    expect(published.code, published.stderr).toBe(0);

    // The next command reads the JWKS from the path that publish wrote.
    const jwksPath = /--issuer-keys (\S+)/.exec(apply)?.[1] ?? "";
    const jwks = JSON.parse(await readFile(path.join(work, jwksPath), "utf8")) as { keys: { kid: string }[] };
    const keySet = await parseKeySet(await readFile(path.join(work, "keys.json"), "utf8"), "keys.json");
    expect(jwks.keys.map((key) => key.kid)).toEqual([keySet.keys[0]?.kid]);
  });
});
