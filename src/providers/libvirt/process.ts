// Runs virsh and qemu-img: argument arrays (never a shell), a timeout, stderr in the error, and a bound on how
// many run at once so a list of 200 domains does not fork 200 processes on a two-core host.
import { spawn } from "node:child_process";
import { LibvirtError } from "./errors.ts";

export interface RunOptions {
  timeoutMs?: number;
  /** Written to the child's stdin (domain XML for `virsh define /dev/stdin`). */
  input?: string;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Counting semaphore: at most `limit` holders at a time, waiters served in arrival order. */
export class Semaphore {
  readonly limit: number;
  #active = 0;
  #waiting: Array<() => void> = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new LibvirtError("InvalidArgument", `semaphore limit ${limit} must be a positive integer`);
    }
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

export class ProcessRunner {
  readonly #slots: Semaphore;

  constructor(maxConcurrent = 4) {
    this.#slots = new Semaphore(maxConcurrent);
  }

  get active(): number {
    return this.#slots.active;
  }

  run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
    return this.#slots.run(() => runOnce(command, args, options));
  }
}

function runOnce(command: string, args: string[], options: RunOptions): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const display = [command, ...args].join(" ");
  return new Promise((resolve, reject) => {
    // LC_ALL=C: virsh output is parsed (pool-info, domstate) and must not be translated.
    const child = spawn(command, args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, LC_ALL: "C" },
    });
    // Our own timer rather than spawn's `timeout`: that one stays armed after a failed spawn (ENOENT) and
    // keeps the process alive for the whole timeout.
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.stdin.on("error", () => {
      // The child may exit before reading its input; the exit code tells what went wrong.
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new LibvirtError("CommandFailed", `${display}: ${error.message}`, { cause: error }));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString("utf8");
      const stderr = Buffer.concat(err).toString("utf8").trim();
      if (code === 0) {
        resolve({ stdout, stderr });
      } else if (timedOut) {
        reject(
          new LibvirtError("Timeout", `${display}: no answer within ${timeoutMs} ms${stderr ? `: ${stderr}` : ""}`, {
            stderr,
          }),
        );
      } else {
        const how = code === null ? `killed by ${signal}` : `exit code ${code}`;
        reject(new LibvirtError("CommandFailed", `${display}: ${how}: ${stderr || "(no stderr)"}`, { stderr }));
      }
    });
    child.stdin.end(options.input ?? "");
  });
}
