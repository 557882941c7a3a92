import assert from "node:assert/strict";
import { test } from "node:test";
import { runTogether } from "./together.ts";

const untilAborted = (signal: AbortSignal) =>
  new Promise<void>((_, reject) => {
    signal.addEventListener("abort", () => reject(new Error("stopped by sibling")), { once: true });
  });

test("tasks run at once: each starts before any finishes", async () => {
  const started: number[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const run = runTogether(new AbortController().signal, [0, 1, 2].map((i) => async () => {
    started.push(i);
    await gate;
  }));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1, 2]);
  release();
  await run;
});

test("the first failure aborts the siblings; the call settles only after all of them, with that failure", async () => {
  let siblingSettled = false;
  await assert.rejects(
    runTogether(new AbortController().signal, [
      async (signal) => {
        await untilAborted(signal).finally(() => {
          siblingSettled = true;
        });
      },
      async () => {
        throw new Error("disk-1 read failed");
      },
    ]),
    /disk-1 read failed/,
  );
  assert.equal(siblingSettled, true);
});

test("aborting the parent aborts every task", async () => {
  const parent = new AbortController();
  const run = runTogether(parent.signal, [untilAborted, untilAborted]);
  parent.abort(new Error("cancelled"));
  await assert.rejects(run, /stopped by sibling/);
});
