// Waiting that a stop signal cuts short. The listener goes when the timer fires: a long-lived signal (a
// process's stop, a migration's cancel) would otherwise collect one listener per wait for its whole life.

/** Resolves after ms, or at once when signal aborts (never rejects). */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", finish);
      resolve();
    };
    const timer = setTimeout(finish, ms);
    signal.addEventListener("abort", finish, { once: true });
  });
}
