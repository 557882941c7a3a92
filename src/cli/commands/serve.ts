// `serve`: the embedded control plane in this process until SIGTERM/SIGINT.
import { startEmbedded } from "../../compose/embedded.ts";

export interface ServeOptions {
  dataDir: string;
  listen: string;
  tlsCert?: string;
  tlsKey?: string;
  insecureHttp?: boolean;
  preset?: string;
}

export async function serveCommand(opts: ServeOptions, out: (line: string) => void): Promise<void> {
  const embedded = await startEmbedded(opts);
  out(`landfall serving at ${embedded.url}`);
  out(`data directory: ${opts.dataDir}`);
  out(`admin token: ${embedded.adminTokenPath}`);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    out(`${signal}: shutting down`);
    embedded.close().then(
      () => process.exit(0),
      (err: Error) => {
        process.stderr.write(`error while shutting down: ${err.message}\n`);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}
