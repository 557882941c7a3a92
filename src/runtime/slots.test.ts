import assert from "node:assert/strict";
import { test } from "node:test";
import { Slots } from "./slots.ts";

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};
const tick = () => new Promise((r) => setImmediate(r));

test("no more than max holders at once; waiters start in FIFO order as slots free", async () => {
  const slots = new Slots(2);
  const gates = [deferred(), deferred(), deferred(), deferred()];
  const started: number[] = [];
  let peak = 0;
  const runs = gates.map((g, i) =>
    slots.run(new AbortController().signal, async () => {
      started.push(i);
      peak = Math.max(peak, slots.held);
      await g.promise;
      return i;
    }),
  );
  await tick();
  assert.deepEqual(started, [0, 1]);
  assert.equal(slots.waiting, 2);
  gates[1]!.resolve();
  await tick();
  assert.deepEqual(started, [0, 1, 2]);
  gates[0]!.resolve();
  gates[2]!.resolve();
  gates[3]!.resolve();
  assert.deepEqual(await Promise.all(runs), [0, 1, 2, 3]);
  assert.equal(peak, 2);
  assert.equal(slots.held, 0);
});

test("a failing holder gives its slot back", async () => {
  const slots = new Slots(1);
  await assert.rejects(slots.run(new AbortController().signal, async () => Promise.reject(new Error("boom"))), /boom/);
  assert.equal(slots.held, 0);
  assert.equal(await slots.run(new AbortController().signal, async () => "next"), "next");
});

test("an aborted waiter leaves the queue, rejects with the reason and never runs", async () => {
  const slots = new Slots(1);
  const gate = deferred();
  const first = slots.run(new AbortController().signal, () => gate.promise);
  const ac = new AbortController();
  let ran = false;
  const second = slots.run(ac.signal, async () => {
    ran = true;
  });
  await tick();
  ac.abort(new Error("migration cancelled"));
  await assert.rejects(second, /migration cancelled/);
  assert.equal(slots.waiting, 0);
  gate.resolve();
  await first;
  assert.equal(ran, false);
  assert.equal(slots.held, 0);
});

test("max must be a whole number ≥ 1", () => {
  assert.throws(() => new Slots(0), /at least 1/);
  assert.throws(() => new Slots(1.5), /at least 1/);
});
