import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { describe, it } from "node:test";
import { sleepUnlessAborted } from "./sleep.ts";

describe("sleepUnlessAborted", () => {
  it("leaves no abort listener behind once the timer fires", async () => {
    const stop = new AbortController();
    for (let i = 0; i < 5; i++) await sleepUnlessAborted(1, stop.signal);
    assert.equal(getEventListeners(stop.signal, "abort").length, 0);
  });

  it("resolves at once when the signal aborts, without waiting for the timer", async () => {
    const stop = new AbortController();
    const started = performance.now();
    const waiting = sleepUnlessAborted(60_000, stop.signal);
    stop.abort();
    await waiting;
    assert.ok(performance.now() - started < 1000);
    assert.equal(getEventListeners(stop.signal, "abort").length, 0);
  });

  it("resolves at once for an already aborted signal", async () => {
    const stop = new AbortController();
    stop.abort();
    await sleepUnlessAborted(60_000, stop.signal);
    assert.equal(getEventListeners(stop.signal, "abort").length, 0);
  });
});
