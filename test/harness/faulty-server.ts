// Starts the test-only composition (faulty-serve.ts) as a child process with its faults, on a data dir a normal
// `bin/landfall serve` can take over afterwards.
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { type ServeProcess, startServeProcess } from "../../src/compose/serve-process.ts";
import type { FaultConfig } from "./faulty-wiring.ts";

const FAULTY_SERVE = fileURLToPath(new URL("./faulty-serve.ts", import.meta.url));

export async function startFaultyServer(dataDir: string, fault: FaultConfig | FaultConfig[], env: Record<string, string> = {}): Promise<ServeProcess> {
  const configPath = `${dataDir}.fault.json`;
  await writeFile(configPath, JSON.stringify(fault));
  return startServeProcess({
    dataDir,
    entry: [process.execPath, "--no-warnings=ExperimentalWarning", FAULTY_SERVE],
    env: { LANDFALL_LOG_FORMAT: "text", ...env, LANDFALL_TEST_FAULTS: configPath },
  });
}

/** Resolves when the server process has exited (e.g. killed by its own fault). */
export function exited(srv: ServeProcess, timeoutMs: number): Promise<NodeJS.Signals | number | null> {
  return new Promise((resolve, reject) => {
    if (srv.child.exitCode !== null || srv.child.signalCode !== null) return resolve(srv.child.signalCode ?? srv.child.exitCode);
    const timer = setTimeout(() => reject(new Error(`the server did not exit within ${timeoutMs} ms; output:\n${srv.output().slice(-3000)}`)), timeoutMs);
    srv.child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve(signal ?? code);
    });
  });
}
