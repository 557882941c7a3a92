// Crash-only: an error that nothing handled leaves the process in a state nobody reasoned about, so log its
// cause and exit non-zero. The restart resumes: every long step (a disk transfer) continues from its last
// durable checkpoint, and another `serve` can only take over the data directory once this process is gone.
import type { Logger } from "../runtime/logger.ts";

/** Exit code after an unhandled error (EX_SOFTWARE). */
export const CRASH_EXIT_CODE = 70;

export function installCrashHandlers(logger: Logger, exit: (code: number) => void = (code) => process.exit(code)): void {
  const crash = (what: string, cause: unknown) => {
    const error = cause instanceof Error ? cause : new Error(String(cause));
    logger.error(`${what}: exiting (crash-only; a restart resumes from the last checkpoints)`, { error: error.message, stack: error.stack });
    exit(CRASH_EXIT_CODE);
  };
  process.on("unhandledRejection", (reason) => crash("unhandled promise rejection", reason));
  process.on("uncaughtException", (error) => crash("uncaught exception", error));
}
