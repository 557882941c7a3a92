import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backoffDelay, KeyBackoff } from "./backoff.ts";
import { FakeClock } from "./clock.ts";
import { WorkQueue } from "./workqueue.ts";

const noJitter = { random: () => 0 };

describe("WorkQueue", () => {
  it("holds a key once however often it is added", async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add("ns/a");
    q.add("ns/b");
    q.add("ns/a");
    assert.equal(q.length, 2);
    assert.equal(await q.get(), "ns/a");
    assert.equal(await q.get(), "ns/b");
    assert.equal(q.length, 0);
  });

  it("never hands a key being processed to a second worker, and reprocesses it after done", async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add("ns/a");
    const first = await q.get();
    assert.equal(first, "ns/a");
    q.add("ns/a"); // changed while processing
    q.add("ns/a");
    assert.equal(q.length, 0, "not handed out while processing");
    let second: string | undefined;
    const waiting = q.get().then((k) => {
      second = k;
    });
    await Promise.resolve();
    assert.equal(second, undefined);
    q.done("ns/a");
    await waiting;
    assert.equal(second, "ns/a", "processed again after done, once");
    q.done("ns/a");
    assert.equal(q.length, 0);
    assert.equal(q.processingCount, 0);
  });

  it("wakes a waiting worker when a key arrives", async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const got = q.get();
    q.add("ns/x");
    assert.equal(await got, "ns/x");
  });

  it("addAfter delivers at the due time and the earliest pending time wins", async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter("ns/a", 1000);
    q.addAfter("ns/a", 5000); // later: ignored
    q.addAfter("ns/a", 300); // earlier: wins
    q.addAfter("ns/b", 700);
    assert.equal(clock.pending, 1, "one timer for all delays");
    clock.advance(299);
    assert.equal(q.length, 0);
    clock.advance(1);
    assert.equal(q.length, 1);
    assert.equal(await q.get(), "ns/a");
    clock.advance(400);
    assert.equal(await q.get(), "ns/b");
    clock.advance(10_000);
    assert.equal(q.length, 0, "the superseded 1000/5000 ms delays do not fire again");
    assert.equal(q.delayedCount, 0);
    assert.equal(clock.pending, 0);
  });

  it("addRateLimited backs off exponentially per key until forget", async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, backoff: { baseMs: 200, maxMs: 1000, ...noJitter } });
    // Measures in 10 ms steps how long a rate-limited add takes to become ready, then processes it.
    const dueAfter = async (key: string): Promise<number> => {
      q.addRateLimited(key);
      let waited = 0;
      while (q.length === 0 && waited < 10_000) {
        clock.advance(10);
        waited += 10;
      }
      q.done((await q.get())!);
      return waited;
    };
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) delays.push(await dueAfter("ns/a"));
    assert.deepEqual(delays, [200, 400, 800, 1000, 1000]);
    assert.equal(q.numRequeues("ns/a"), 5);
    assert.equal(q.numRequeues("ns/other"), 0, "per key");
    q.forget("ns/a");
    assert.equal(q.numRequeues("ns/a"), 0);
    assert.equal(await dueAfter("ns/a"), 200, "back to the base delay after forget");
  });

  it("shutDown resolves waiting workers with undefined and ignores later adds", async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    const waiting = q.get();
    q.addAfter("ns/late", 100);
    q.shutDown();
    assert.equal(await waiting, undefined);
    q.add("ns/a");
    clock.advance(1000);
    assert.equal(q.length, 0);
    assert.equal(await q.get(), undefined);
    assert.equal(clock.pending, 0);
  });
});

describe("KeyBackoff", () => {
  it("doubles from the base to the cap and adds at most the jitter fraction", () => {
    assert.equal(backoffDelay(0, 200, 300_000), 200);
    assert.equal(backoffDelay(3, 200, 300_000), 1600);
    assert.equal(backoffDelay(5000, 200, 300_000), 300_000, "no overflow past the cap");
    const b = new KeyBackoff({ baseMs: 1000, maxMs: 60_000, jitter: 0.1, random: () => 0.999 });
    const d = b.when("k");
    assert.ok(d >= 1000 && d <= 1100, `jittered delay ${d} within 10%`);
  });

  it("rejects a base above the cap", () => {
    assert.throws(() => new KeyBackoff({ baseMs: 10, maxMs: 5 }), /baseMs 10 \/ maxMs 5/);
  });
});
