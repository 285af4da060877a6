import { execFile } from "node:child_process";
import { promisify } from "node:util";

/**
 * Builds the CLI once before the tests, so that command-line tests run the same
 * `dist/cli/main.js` that users install.
 */
export default async function setup(): Promise<void> {
  await promisify(execFile)("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: new URL("../..", import.meta.url).pathname });
}
