import { generateKeyPairSync } from "node:crypto";
import { chmod, chown, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { decodeProtectedHeader } from "jose";
import { beforeAll, describe, expect, it } from "vitest";

import { parseKeySet } from "../../src/issuer/key-file.js";
import { runCli } from "../support/cli.js";
import { writeConfigRepo } from "../credentials/support/config-repo.js";
import { startServe } from "./support/serve.js";

let repo: string;

beforeAll(async () => {
  repo = await writeConfigRepo();
});

async function newFolder(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), "wid-keys-"));
}

describe("wid issuer init", () => {
  it("creates an RS256 key file with mode 0600", async () => {
    const keys = path.join(await newFolder(), "keys.json");
    const result = await runCli(["issuer", "init", "--keys", keys]);
    expect(result.code, result.stderr).toBe(0);

    expect((await stat(keys)).mode & 0o777).toBe(0o600);
    const keySet = await parseKeySet(await readFile(keys, "utf8"), keys);
    expect(keySet.keys).toHaveLength(1);
    expect(keySet.keys[0]?.alg).toBe("RS256");
    expect(keySet.keys[0]?.publicJwk.kty).toBe("RSA");
    expect(result.stdout).toContain(`Created RS256 key ${keySet.keys[0]?.kid} in ${keys} (mode 0600).`);
  });

  it("creates an ES256 key on request", async () => {
    const keys = path.join(await newFolder(), "keys.json");
    expect((await runCli(["issuer", "init", "--keys", keys, "--alg", "ES256"])).code).toBe(0);
    const keySet = await parseKeySet(await readFile(keys, "utf8"), keys);
    expect(keySet.keys[0]?.alg).toBe("ES256");
    expect(keySet.keys[0]?.publicJwk.crv).toBe("P-256");
  });

  it("refuses to overwrite an existing file", async () => {
    const keys = path.join(await newFolder(), "keys.json");
    expect((await runCli(["issuer", "init", "--keys", keys])).code).toBe(0);
    const before = await readFile(keys, "utf8");

    const again = await runCli(["issuer", "init", "--keys", keys]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`wid: error: ${keys} already exists; use wid issuer rotate to add a key\n`);
    expect(await readFile(keys, "utf8")).toBe(before);
  });

  it("takes the path from WID_ISSUER_KEYS_FILE", async () => {
    const keys = path.join(await newFolder(), "keys.json");
    expect((await runCli(["issuer", "init"], { env: { WID_ISSUER_KEYS_FILE: keys } })).code).toBe(0);
    expect((await stat(keys)).isFile()).toBe(true);
  });

  it("requires a key file", async () => {
    const result = await runCli(["issuer", "init"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("wid: error: no key file given; pass --keys FILE or set WID_ISSUER_KEYS_FILE\n");
  });
});

describe("key sources", () => {
  it("reads the key set from WID_ISSUER_KEYS", async () => {
    const keys = path.join(await newFolder(), "keys.json");
    expect((await runCli(["issuer", "init", "--keys", keys, "--alg", "ES256"])).code).toBe(0);
    const content = await readFile(keys, "utf8");
    const kid = (await parseKeySet(content, keys)).keys[0]?.kid;

    const minted = await runCli(["token", repo, "--identity", "assets-writer"], { env: { WID_ISSUER_KEYS: content } });
    expect(minted.code, minted.stderr).toBe(0);
    expect(decodeProtectedHeader(minted.stdout.trim()).kid).toBe(kid);
  });

  it("reads a PEM private key from a mounted file", async () => {
    const folder = await newFolder();
    for (const [type, alg] of [
      ["rsa", "RS256"],
      ["ec", "ES256"],
    ] as const) {
      const pem = path.join(folder, `${type}.pem`);
      const { privateKey } = type === "rsa" ? generateKeyPairSync("rsa", { modulusLength: 2048 }) : generateKeyPairSync("ec", { namedCurve: "P-256" });
      await writeFile(pem, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });

      const minted = await runCli(["token", repo, "--identity", "assets-writer", "--keys", pem]);
      expect(minted.code, minted.stderr).toBe(0);
      expect(decodeProtectedHeader(minted.stdout.trim()).alg).toBe(alg);
      const verified = await runCli(["issuer", "verify", minted.stdout.trim(), repo, "--keys", pem]);
      expect(verified.code, verified.stderr).toBe(0);
    }
  });

  it("rejects a short RSA key", async () => {
    const pem = path.join(await newFolder(), "short.pem");
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
    await writeFile(pem, privateKey.export({ format: "pem", type: "pkcs1" }), { mode: 0o600 });
    const result = await runCli(["token", repo, "--identity", "assets-writer", "--keys", pem]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`wid: error: ${pem} contains an RSA key shorter than 2048 bits; generate one of at least 2048 bits\n`);
  });

  it("names the file and field of a broken key set", async () => {
    const keys = path.join(await newFolder(), "keys.json");
    expect((await runCli(["issuer", "init", "--keys", keys])).code).toBe(0);
    const keySet = JSON.parse(await readFile(keys, "utf8")) as { keys: Record<string, unknown>[] };
    const [key] = keySet.keys;
    if (key !== undefined) key.alg = "HS256";
    await writeFile(keys, JSON.stringify(keySet));

    const result = await runCli(["token", repo, "--identity", "assets-writer", "--keys", keys]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`wid: error: ${keys}: keys[0].alg must be one of RS256, ES256\n`);
  });

  it("rejects a public key of another key pair", async () => {
    const folder = await newFolder();
    const [keys, other] = [path.join(folder, "keys.json"), path.join(folder, "other.json")];
    for (const file of [keys, other]) expect((await runCli(["issuer", "init", "--keys", file])).code).toBe(0);
    const keySet = JSON.parse(await readFile(keys, "utf8")) as { keys: Record<string, unknown>[] };
    const otherSet = JSON.parse(await readFile(other, "utf8")) as { keys: Record<string, unknown>[] };
    const [key] = keySet.keys;
    if (key !== undefined) key.publicJwk = otherSet.keys[0]?.publicJwk;
    await writeFile(keys, JSON.stringify(keySet));

    const result = await runCli(["issuer", "keys", "--keys", keys]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`wid: error: ${keys}: keys[0].publicJwk is not the public part of its privateJwk; restore the key set file from its backup\n`);
  });

  it("reports a missing key file with the fix", async () => {
    const keys = path.join(await newFolder(), "missing.json");
    const result = await runCli(["token", repo, "--identity", "assets-writer", "--keys", keys]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`wid: error: key file ${keys} not found; create it with wid issuer init --keys ${keys}\n`);
  });

  it("never prints key material in errors", async () => {
    const keys = path.join(await newFolder(), "keys.json");
    expect((await runCli(["issuer", "init", "--keys", keys])).code).toBe(0);
    const content = await readFile(keys, "utf8");
    const broken = content.replace('"kind": "IssuerKeySet"', '"kind": "Other"');
    const result = await runCli(["token", repo, "--identity", "assets-writer"], { env: { WID_ISSUER_KEYS: broken } });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("wid: error: WID_ISSUER_KEYS is not a wid key set: expected apiVersion wid/v1, kind IssuerKeySet and a keys list\n");
  });

  it("warns when serve reads a key file others can read", async () => {
    const keys = path.join(await newFolder(), "keys.json");
    expect((await runCli(["issuer", "init", "--keys", keys])).code).toBe(0);
    await chmod(keys, 0o644);
    const server = await startServe(repo, keys);
    expect(await server.stop()).toBe(0);
    expect(server.stderr()).toContain("has mode 0644; restrict it with chmod 600");
  });
});

describe("wid issuer rotate", () => {
  it("adds a key and keeps verifying earlier tokens", async () => {
    const keys = path.join(await newFolder(), "keys.json");
    expect((await runCli(["issuer", "init", "--keys", keys])).code).toBe(0);
    const before = (await runCli(["token", repo, "--identity", "assets-writer", "--keys", keys])).stdout.trim();

    const rotated = await runCli(["issuer", "rotate", repo, "--keys", keys, "--alg", "ES256", "--activate-after", "0s"]);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect((await stat(keys)).mode & 0o777).toBe(0o600);
    const keySet = await parseKeySet(await readFile(keys, "utf8"), keys);
    const [oldKey, newKey] = keySet.keys;
    expect(rotated.stdout).toContain(`Added ES256 key ${newKey?.kid}`);
    // The config's lifetime is 1 h: retirement 1 h and 5 min after the new key activates.
    expect(Date.parse(oldKey?.retireAt ?? "") - Date.parse(newKey?.activatesAt ?? "")).toBe(3900 * 1000);

    const after = (await runCli(["token", repo, "--identity", "assets-writer", "--keys", keys])).stdout.trim();
    expect(decodeProtectedHeader(after).kid).toBe(newKey?.kid);
    for (const token of [before, after]) {
      const verified = await runCli(["issuer", "verify", token, repo, "--keys", keys]);
      expect(verified.code, verified.stderr).toBe(0);
    }

    const listed = await runCli(["issuer", "keys", "--keys", keys, "--format", "json"]);
    expect((JSON.parse(listed.stdout) as { state: string }[]).map((row) => row.state)).toEqual(["superseded", "active"]);
  });

  it("keeps the key file's owner and group", async () => {
    const keys = path.join(await newFolder(), "keys.json");
    expect((await runCli(["issuer", "init", "--keys", keys])).code).toBe(0);
    // Only root can give a file away; another user's run checks that the owner stays its own.
    const owner = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : await stat(keys);
    await chown(keys, owner.uid, owner.gid);

    expect((await runCli(["issuer", "rotate", repo, "--keys", keys])).code).toBe(0);

    const info = await stat(keys);
    expect(info.uid).toBe(owner.uid);
    expect(info.gid).toBe(owner.gid);
    expect(info.mode & 0o777).toBe(0o600);
  });

  it("keeps the current algorithm and waits before signing by default", async () => {
    const keys = path.join(await newFolder(), "keys.json");
    expect((await runCli(["issuer", "init", "--keys", keys, "--alg", "ES256"])).code).toBe(0);
    expect((await runCli(["issuer", "rotate", "--keys", keys])).code).toBe(0);

    const listed = JSON.parse((await runCli(["issuer", "keys", "--keys", keys, "--format", "json"])).stdout) as { alg: string; state: string }[];
    expect(listed).toMatchObject([
      { alg: "ES256", state: "active" },
      { alg: "ES256", state: "pending" },
    ]);
    const retired = await runCli(["issuer", "retire", "--keys", keys]);
    expect(retired.stdout).toBe("No key is due for retirement.\n");
  });

  it("replaces a pending key with the leaked-key steps", async () => {
    const keys = path.join(await newFolder(), "keys.json");
    expect((await runCli(["issuer", "init", "--keys", keys])).code).toBe(0);
    const old = (await parseKeySet(await readFile(keys, "utf8"), keys)).keys[0]?.kid ?? "";

    // A routine rotation (10 minutes), then the steps for a leaked key.
    expect((await runCli(["issuer", "rotate", repo, "--keys", keys])).code).toBe(0);
    const routine = (await parseKeySet(await readFile(keys, "utf8"), keys)).keys[1]?.kid;
    const emergency = await runCli(["issuer", "rotate", repo, "--keys", keys, "--activate-after", "0s"]);
    expect(emergency.code, emergency.stderr).toBe(0);
    expect(emergency.stdout).toContain(`Retired pending key ${routine}: the new key replaces it, and it never signed.`);
    const retired = await runCli(["issuer", "retire", "--keys", keys, "--kid", old]);
    expect(retired.code, retired.stderr).toBe(0);

    const listed = JSON.parse((await runCli(["issuer", "keys", "--keys", keys, "--format", "json"])).stdout) as { kid: string; state: string; retireAt: string | null; retiredAt: string | null }[];
    expect(listed.map((row) => row.state)).toEqual(["retired", "retired", "active"]);
    expect(listed[1]?.kid).toBe(routine);
    expect(listed[1]?.retiredAt).not.toBeNull();
    expect(listed[2]?.retireAt).toBeNull();
    expect(await parseKeySet(await readFile(keys, "utf8"), keys).then((keySet) => keySet.keys[1]?.privateJwk)).toBeNull();
  });

  it("rejects a change while the key file is locked", async () => {
    const keys = path.join(await newFolder(), "keys.json");
    expect((await runCli(["issuer", "init", "--keys", keys])).code).toBe(0);
    const before = await readFile(keys, "utf8");
    await writeFile(`${keys}.lock`, "12345\n");

    for (const command of [["issuer", "rotate", "--keys", keys], ["issuer", "retire", "--keys", keys]]) {
      const result = await runCli(command);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`${keys}.lock exists, so another wid issuer rotate or retire is changing ${keys}`);
    }
    expect(await readFile(keys, "utf8")).toBe(before);

    await rm(`${keys}.lock`);
    expect((await runCli(["issuer", "rotate", "--keys", keys])).code).toBe(0);
    await expect(stat(`${keys}.lock`)).rejects.toThrow("ENOENT");
  });
});

describe("wid issuer keys", () => {
  it("shows an unknown creation time for a PEM key", async () => {
    const pem = path.join(await newFolder(), "key.pem");
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    await writeFile(pem, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });

    const text = await runCli(["issuer", "keys", "--keys", pem]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^[\w-]{43} {2}ES256 {2}active {6}created unknown {2}retires -\n$/);
    const json = JSON.parse((await runCli(["issuer", "keys", "--keys", pem, "--format", "json"])).stdout) as { createdAt: string | null }[];
    expect(json[0]?.createdAt).toBeNull();
  });
});
