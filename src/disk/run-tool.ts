// Runs the disk tools (qemu-img, nbdcopy) with an argument array, a timeout and stderr captured into the
// error, never through a shell.
import { spawn } from "node:child_process";

const STDERR_TAIL_BYTES = 4096;

export interface RunToolOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Environment of the tool (default: landfall's own). */
  env?: NodeJS.ProcessEnv;
  /** Receives every line the tool prints, stdout and stderr, for tools whose verbose log is too long to keep. */
  onOutputLine?: (line: string) => void;
}

/** Splits a stream's chunks into lines for onOutputLine; flush() hands over an unterminated last line. */
function lineSplitter(onLine: ((line: string) => void) | undefined) {
  let pending = "";
  return {
    push(piece: Buffer) {
      if (!onLine) return;
      const lines = (pending + piece.toString()).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    },
    flush() {
      if (onLine && pending) onLine(pending);
      pending = "";
    },
  };
}

export class ToolError extends Error {
  readonly command: string;
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(command: string, exitCode: number | null, stderr: string, why: string) {
    super(`${command} ${why}${stderr ? `: ${stderr.trim()}` : ""}`);
    this.name = "ToolError";
    this.command = command;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/** Runs a tool to completion and returns its stdout; rejects with a ToolError naming the command. */
export function runTool(command: string, args: readonly string[], options: RunToolOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const shown = [command, ...args].join(" ");
    const child = spawn(command, args, {
      stdio: ["ignore", "pipe", "pipe"],
      timeout: options.timeoutMs,
      signal: options.signal,
      env: options.env ?? process.env,
    });
    const stdout: Buffer[] = [];
    let stderr = "";
    const outLines = lineSplitter(options.onOutputLine);
    const errLines = lineSplitter(options.onOutputLine);
    child.stdout.on("data", (piece: Buffer) => {
      stdout.push(piece);
      outLines.push(piece);
    });
    child.stderr.on("data", (piece: Buffer) => {
      stderr = (stderr + piece.toString()).slice(-STDERR_TAIL_BYTES);
      errLines.push(piece);
    });
    child.on("error", (error) => {
      const why = (error as NodeJS.ErrnoException).code === "ENOENT" ? "is not installed (run make setup)" : `failed to run (${error.message})`;
      reject(new ToolError(shown, null, stderr, why));
    });
    child.on("close", (code, killedBy) => {
      outLines.flush();
      errLines.flush();
      if (code === 0) return resolve(Buffer.concat(stdout).toString());
      const why = killedBy ? `was killed by ${killedBy} (timeout ${options.timeoutMs} ms or abort)` : `exited with code ${code}`;
      reject(new ToolError(shown, code, stderr, why));
    });
  });
}

/** A timeout that grows with the bytes a tool has to move: base plus size at a pessimistic rate. */
export function timeoutForBytes(bytes: number, minBytesPerSecond = 16 * 1024 * 1024, baseMs = 60_000): number {
  return baseMs + Math.ceil((Math.max(0, bytes) / minBytesPerSecond) * 1000);
}
