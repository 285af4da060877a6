import { mkdir } from "node:fs/promises";
import path from "node:path";

import { writeFileAtomic } from "../fs/atomic-write.js";
import { DISCOVERY_PATH, discoveryDocument, issuerPathPrefix, jwks, JWKS_PATH } from "./discovery.js";
import type { KeySet } from "./key-set.js";

/**
 * Writes the discovery document and the JWKS below `outDir` at the paths a verifier
 * requests from the issuer URL: `.well-known/openid-configuration` and
 * `.well-known/jwks.json`, under the issuer's own path when it has one. Upload the
 * folder's content to the root of the bucket or site that serves the issuer URL.
 * Each file is replaced by a rename, so a server reading the folder never sees a
 * partial file. Returns the written paths.
 */
export async function publishIssuerFiles(outDir: string, issuer: string, keySet: KeySet, now: Date): Promise<string[]> {
  const prefix = issuerPathPrefix(issuer);
  const files: [string, unknown][] = [
    [DISCOVERY_PATH, discoveryDocument(issuer)],
    [JWKS_PATH, jwks(keySet, now)],
  ];

  const written: string[] = [];
  for (const [urlPath, content] of files) {
    const target = path.join(outDir, ...`${prefix}${urlPath}`.split("/").filter((part) => part !== ""));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFileAtomic(target, `${JSON.stringify(content, null, 2)}\n`);
    written.push(target);
  }
  return written;
}
