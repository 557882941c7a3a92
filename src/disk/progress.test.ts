import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { aggregateProgress, etaSeconds, percentDone, progressOf, ThroughputWindow } from "./progress.ts";

describe("ThroughputWindow", () => {
  test("is 0 until two samples span time", () => {
    const window = new ThroughputWindow(10_000);
    assert.equal(window.bytesPerSecond(), 0);
    window.record(1000, 0);
    assert.equal(window.bytesPerSecond(), 0);
    window.record(1000, 500);
    assert.equal(window.bytesPerSecond(), 0);
  });

  test("measures the rate over the window", () => {
    const window = new ThroughputWindow(10_000);
    window.record(0, 0);
    window.record(2000, 200);
    assert.equal(window.bytesPerSecond(), 100);
  });

  test("forgets samples older than the window so a stall shows", () => {
    const window = new ThroughputWindow(2000);
    window.record(0, 0);
    window.record(1000, 1_000_000); // fast start
    window.record(2000, 2_000_000);
    window.record(4000, 2_000_000); // then nothing for 2 s
    window.record(5000, 2_000_100);
    // Only the last ~2 s count: 100 bytes over 1..3 s, nowhere near the early 1 MB/s.
    assert.ok(window.bytesPerSecond() < 1000, `rate ${window.bytesPerSecond()} should reflect the stall`);
    assert.ok(window.bytesPerSecond() > 0);
  });

  test("rejects a non-positive window", () => {
    assert.throws(() => new ThroughputWindow(0), /windowMs 0/);
  });
});

describe("etaSeconds", () => {
  test("rounds up the remaining time", () => {
    assert.equal(etaSeconds(1001, 100), 11);
  });
  test("is undefined at zero rate and 0 when done", () => {
    assert.equal(etaSeconds(10, 0), undefined);
    assert.equal(etaSeconds(0, 0), 0);
  });
});

describe("progressOf / aggregateProgress", () => {
  test("one disk", () => {
    assert.deepEqual(progressOf(250, 1000, 50.4), { bytesDone: 250, bytesTotal: 1000, bytesPerSecond: 50, etaSeconds: 15 });
  });

  test("sums disks and rates; ETA is the total remainder at the combined rate", () => {
    const total = aggregateProgress([
      { bytesDone: 100, bytesTotal: 1000, bytesPerSecond: 30 },
      { bytesDone: 0, bytesTotal: 500, bytesPerSecond: 0 }, // waiting
      { bytesDone: 400, bytesTotal: 400, bytesPerSecond: 20 },
    ]);
    assert.deepEqual(total, { bytesDone: 500, bytesTotal: 1900, bytesPerSecond: 50, etaSeconds: 28 });
  });

  test("no disks is done", () => {
    assert.deepEqual(aggregateProgress([]), { bytesDone: 0, bytesTotal: 0, bytesPerSecond: 0, etaSeconds: 0 });
  });

  test("percentDone", () => {
    assert.equal(percentDone({ bytesDone: 1, bytesTotal: 3 }), 33);
    assert.equal(percentDone({ bytesDone: 0, bytesTotal: 0 }), 100);
  });
});
