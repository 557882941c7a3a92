// `serve`: the embedded control plane in this process until SIGTERM/SIGINT.
import { type Embedded, type EmbeddedOptions, startEmbedded } from "../../compose/embedded.ts";
import { createLogger } from "../../runtime/logger.ts";
import { installCrashHandlers } from "../crash-handlers.ts";

/** What `serve` takes: the embedded options as flags, with --controllers as text (all, none, or a list). */
export type ServeOptions = Omit<EmbeddedOptions, "controllers" | "wire" | "version" | "logger"> & { controllers?: string };

export async function serveCommand(opts: ServeOptions, out: (line: string) => void): Promise<void> {
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
  embedded = await startEmbedded({ ...opts, controllers });
  if (requested) {
    close(embedded, requested, out);
    return;
  }
  out(`landfall serving at ${embedded.url}`);
  out(`data directory: ${opts.dataDir}`);
  out(`admin token: ${embedded.adminTokenPath}`);
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
