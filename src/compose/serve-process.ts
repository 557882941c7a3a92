// Starts a real `bin/landfall serve` child on a free port with its own data directory — for e2e tests
// (any suite that needs a running server) and scripts.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const LANDFALL_BIN = fileURLToPath(new URL("../../bin/landfall", import.meta.url));

export interface ServeProcess {
  url: string;
  dataDir: string;
  adminToken: string;
  child: ChildProcess;
  /** Everything the server printed so far (for test diagnostics). */
  output(): string;
  /** SIGTERM, wait for exit (SIGKILL after 5 s), remove the data dir if this helper created it. */
  stop(): Promise<void>;
}

export interface ServeProcessOptions {
  dataDir?: string;
  args?: string[];
  timeoutMs?: number;
  env?: Record<string, string>;
  /** Command and arguments that take `--data-dir`/`--listen` instead of `bin/landfall serve` (a test composition). */
  entry?: [string, ...string[]];
}

export async function startServeProcess(opts: ServeProcessOptions = {}): Promise<ServeProcess> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), "landfall-e2e-")));
  const [command, ...entryArgs] = opts.entry ?? [LANDFALL_BIN, "serve"];
  const child = spawn(command, [...entryArgs, "--data-dir", dataDir, "--listen", "127.0.0.1:0", ...(opts.args ?? [])], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...(opts.env ?? {}) } });
  let output = "";
  child.stdout?.on("data", (d) => {
    output += String(d);
  });
  child.stderr?.on("data", (d) => {
    output += String(d);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(`landfall serve did not report its URL within ${opts.timeoutMs ?? 20_000} ms`), opts.timeoutMs ?? 20_000);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${why}; output: ${output}`));
    };
    child.stdout?.on("data", () => {
      const m = /serving at (\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once("exit", (code) => fail(`landfall serve exited with code ${code}`));
  });
  const adminToken = (await readFile(join(dataDir, "admin.token"), "utf8")).trim();
  return {
    url,
    dataDir,
    adminToken,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(killer);
      }
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
