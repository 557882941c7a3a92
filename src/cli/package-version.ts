// landfall's version, from package.json (read, not imported, so the CLI stays light to start).
import { readFile } from "node:fs/promises";

export async function readPackageVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as { version?: string };
  return pkg.version ?? "0.0.0";
}
