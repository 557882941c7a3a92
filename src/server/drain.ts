// Backpressure for streamed responses: after a write the socket would not take at once, wait until it has
// drained before producing more, so what a slow reader costs the server is one socket buffer, not a queue.
import type { ServerResponse } from "node:http";

/** Resolves true once `res` has drained (or was closed), false when `timeoutMs` passed first. */
export function drained(res: ServerResponse, timeoutMs: number): Promise<boolean> {
  if (res.writableLength === 0 || res.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      res.off("drain", onDrain);
      res.off("close", onDrain);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    res.on("drain", onDrain);
    res.on("close", onDrain);
  });
}
