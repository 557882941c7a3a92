// `serve`: the embedded control plane in this process until SIGTERM/SIGINT.
import { flushCompileCache } from "node:module";
import { type Embedded, type EmbeddedOptions, startEmbedded } from "../../compose/embedded.ts";
import { createLogger } from "../../runtime/logger.ts";
import { UsageError } from "../args.ts";
import { installCrashHandlers } from "../crash-handlers.ts";

/** What `serve` takes: the embedded options as flags, with --controllers (all, none, or a list) and --max-transfers as text. */
export type ServeOptions = Omit<EmbeddedOptions, "controllers" | "wire" | "version" | "logger" | "maxTransfers"> & { controllers?: string; maxTransfers?: string };

export async function serveCommand(opts: ServeOptions, out: (line: string) => void): Promise<void> {
  const maxTransfers = opts.maxTransfers === undefined ? undefined : parseMaxTransfers(opts.maxTransfers);
  installCrashHandlers(createLogger());
  // Handlers first: a SIGTERM that arrives while starting (or while the first lines print) must still shut
  // down cleanly instead of killing the process with the store half-written.
  let embedded: Embedded | undefined;
  let requested: string | undefined;
  const shutdown = (signal: string) => {
    if (requested) return;
    requested = signal;
    if (embedded) close(embedded, signal, out);
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
  const controllers = opts.controllers === undefined || opts.controllers === "all" ? undefined : opts.controllers === "none" ? [] : opts.controllers.split(",").map((s) => s.trim()).filter(Boolean);
  embedded = await startEmbedded({ ...opts, controllers, maxTransfers });
  if (requested) {
    close(embedded, requested, out);
    return;
  }
  out(`landfall serving at ${embedded.url}`);
  out(`Kubernetes API (kubectl) at ${embedded.kubeUrl}; KUBECONFIG=${embedded.kubeconfigPath}`);
  out(`data directory: ${opts.dataDir}`);
  out(`admin token: ${embedded.adminTokenPath}`);
  // Every module serve needs is loaded now: write their compiled code to the compile cache (bin/landfall sets
  // NODE_COMPILE_CACHE) so the next start skips the TypeScript stripper, even if this one is killed.
  flushCompileCache();
}

function close(embedded: Embedded, signal: string, out: (line: string) => void): void {
  out(`${signal}: shutting down`);
  embedded.close().then(
    () => process.exit(0),
    (err: Error) => {
      process.stderr.write(`error while shutting down: ${err.message}\n`);
      process.exit(1);
    },
  );
}

/** `--max-transfers` as typed: a whole number ≥ 1, or a usage error naming the flag, the value and what to give. */
export function parseMaxTransfers(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`--max-transfers ${JSON.stringify(text)} is not a whole number of at least 1; give how many disk transfers may run at once, server-wide (default 2)`);
  }
  return n;
}
