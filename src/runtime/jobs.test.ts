import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JobTracker } from "./jobs.ts";
import { eventually } from "./testkit.ts";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe("JobTracker", () => {
  it("runs one job per key, reports its outcome and notifies when it settles", async () => {
    const settled: string[] = [];
    const jobs = new JobTracker({ onSettled: (k) => settled.push(k) });
    assert.equal(jobs.start("ns/a", () => sleep(30)), true);
    assert.equal(jobs.start("ns/a", () => sleep(30)), false, "already running");
    assert.equal(jobs.state("ns/a")?.phase, "Running");
    assert.equal(
      jobs.start("ns/b", async () => {
        throw new Error("source unavailable");
      }),
      true,
    );
    await eventually(() => settled.length === 2, 2000, "both settled");
    assert.equal(jobs.state("ns/a")?.phase, "Succeeded");
    const b = jobs.state("ns/b");
    assert.ok(b?.phase === "Failed" && /source unavailable/.test(b.error.message) && !b.cancelled);
    jobs.clear("ns/b");
    assert.equal(jobs.state("ns/b"), undefined);
  });

  it("caps concurrency and queues the rest in order", async () => {
    const order: string[] = [];
    const jobs = new JobTracker({ maxConcurrent: 1 });
    for (const k of ["x", "y", "z"]) jobs.start(k, async () => {
      order.push(`start ${k}`);
      await sleep(10);
      order.push(`end ${k}`);
    });
    assert.equal(jobs.running, 1);
    assert.equal(jobs.queued, 2);
    assert.equal(jobs.state("z")?.phase, "Queued");
    await eventually(() => order.length === 6, 2000, "all ran");
    assert.deepEqual(order, ["start x", "end x", "start y", "end y", "start z", "end z"]);
  });

  it("cancels through the signal and stop() waits for running jobs", async () => {
    const jobs = new JobTracker({ maxConcurrent: 1 });
    let checkpointed = false;
    jobs.start("long", async (signal) => {
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
      await sleep(20);
      checkpointed = true;
      throw new Error("aborted after checkpoint");
    });
    jobs.start("queued", () => sleep(1));
    assert.equal(await jobs.stop(2000), true);
    assert.equal(checkpointed, true);
    const long = jobs.state("long");
    assert.ok(long?.phase === "Failed" && long.cancelled, "a job ended by cancel is marked cancelled");
    const queued = jobs.state("queued");
    assert.ok(queued?.phase === "Failed" && queued.cancelled, "a queued job never starts after stop");
    assert.equal(jobs.start("late", () => sleep(1)), false, "no new jobs after stop");
  });
});
