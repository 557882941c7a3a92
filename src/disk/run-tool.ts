// The one way landfall runs a tool (qemu-img, virsh, nbdcopy): an argument array (never a shell), a timeout,
// stdin when asked, stderr captured into the error — and, through ToolRunner, a bound on how many run at once
// so a list of 200 domains does not fork 200 processes on a two-core host.
import { spawn } from "node:child_process";

const STDERR_TAIL_BYTES = 4096;

export interface RunToolOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Written to the child's stdin (domain XML for `virsh define /dev/stdin`); stdin is closed either way. */
  input?: string;
  /** Environment of the tool (default: landfall's own); LC_ALL=C is always set. */
  env?: NodeJS.ProcessEnv;
  /**
   * Receives every line the tool prints, stdout and stderr, for tools whose output is too long to keep (virt-v2v's
   * log, `qemu-img map` of a fragmented disk): stdout is then not kept, and runTool answers "".
   */
  onOutputLine?: (line: string) => void;
  /** Receives the tool's whole stderr as it arrives, for tools that report per-item failures and still exit 0. */
  onStderr?: (text: string) => void;
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
  /** True when the tool was killed because it ran past its timeout. */
  readonly timedOut: boolean;
  constructor(command: string, exitCode: number | null, stderr: string, why: string, timedOut = false) {
    super(`${command} ${why}${stderr ? `: ${stderr.trim()}` : ""}`);
    this.name = "ToolError";
    this.command = command;
    this.exitCode = exitCode;
    this.stderr = stderr;
    this.timedOut = timedOut;
  }
}

/** Runs a tool to completion and returns its stdout; rejects with a ToolError naming the command, why and its stderr. */
export function runTool(command: string, args: readonly string[], options: RunToolOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const shown = [command, ...args].join(" ");
    // LC_ALL=C: virsh output is parsed (pool-info, domstate) and must not be translated.
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], env: { ...(options.env ?? process.env), LC_ALL: "C" }, signal: options.signal, killSignal: "SIGKILL" });
    // Our own timer rather than spawn's `timeout`: that one stays armed after a failed spawn (ENOENT) and keeps
    // the process alive for the whole timeout.
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs);
    const stdout: Buffer[] = [];
    let stderr = "";
    const outLines = lineSplitter(options.onOutputLine);
    const errLines = lineSplitter(options.onOutputLine);
    child.stdout.on("data", (piece: Buffer) => {
      if (!options.onOutputLine) stdout.push(piece);
      outLines.push(piece);
    });
    child.stderr.on("data", (piece: Buffer) => {
      stderr = (stderr + piece.toString()).slice(-STDERR_TAIL_BYTES);
      errLines.push(piece);
      options.onStderr?.(piece.toString());
    });
    child.stdin.on("error", () => {
      // The child may exit before reading its input; the exit code tells what went wrong.
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      const why = (error as NodeJS.ErrnoException).code === "ENOENT" ? `is not installed (run make setup; ${error.message})` : `failed to run (${error.message})`;
      reject(new ToolError(shown, null, stderr.trim(), why));
    });
    child.on("close", (code, killedBy) => {
      clearTimeout(timer);
      outLines.flush();
      errLines.flush();
      if (code === 0) return resolve(Buffer.concat(stdout).toString("utf8"));
      if (timedOut) return reject(new ToolError(shown, code, stderr.trim(), `gave no answer within ${options.timeoutMs} ms`, true));
      reject(new ToolError(shown, code, stderr.trim(), code === null ? `was killed by ${killedBy}` : `exited with code ${code}`));
    });
    child.stdin.end(options.input ?? "");
  });
}

/** A timeout that grows with the bytes a tool has to move: base plus size at a pessimistic rate. */
export function timeoutForBytes(bytes: number, minBytesPerSecond = 16 * 1024 * 1024, baseMs = 60_000): number {
  return baseMs + Math.ceil((Math.max(0, bytes) / minBytesPerSecond) * 1000);
}

/** Counting semaphore: at most `limit` holders at a time, waiters served in arrival order. */
export class Semaphore {
  readonly limit: number;
  #active = 0;
  #waiting: Array<() => void> = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`semaphore limit ${limit} must be a positive integer`);
    this.limit = limit;
  }

  get active(): number {
    return this.#active;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#active >= this.limit) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#active++;
    }
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      // Hand the slot straight to the next waiter; the active count stays the same.
      if (next) next();
      else this.#active--;
    }
  }
}

const DEFAULT_TIMEOUT_MS = 60_000;

/** runTool behind a semaphore: at most `maxConcurrent` tools of one owner (a provider) at a time. */
export class ToolRunner {
  readonly #slots: Semaphore;

  constructor(maxConcurrent = 4) {
    this.#slots = new Semaphore(maxConcurrent);
  }

  get active(): number {
    return this.#slots.active;
  }

  run(command: string, args: readonly string[], options: Partial<RunToolOptions> = {}): Promise<string> {
    return this.#slots.run(() => runTool(command, args, { ...options, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS }));
  }

  /** Any work that runs tools itself (the qemu-img functions of convert.ts), counted against the same bound. */
  bounded<T>(work: () => Promise<T>): Promise<T> {
    return this.#slots.run(work);
  }
}
