import assert from "node:assert/strict";
import { test } from "node:test";
import type { PlannedWrite } from "./database.ts";
import { GroupCommit, type Planner } from "./group-commit.ts";

/** A commit that runs planners like transactAll (a throwing planner fails alone) and records each batch. */
function recordingCommit(fail?: Error) {
  const batches: number[] = [];
  let committed = false;
  const commit = (planners: Array<Planner<string>>): Array<PlannedWrite<string>> => {
    batches.push(planners.length);
    const outcomes = planners.map((p, i): PlannedWrite<string> => {
      try {
        return { ok: true, result: p(i + 1).result };
      } catch (error) {
        return { ok: false, error };
      }
    });
    if (fail) throw fail;
    committed = true;
    return outcomes;
  };
  return { commit, batches, committed: () => committed };
}

test("writes requested in one turn share one commit, and none resolves before it", async () => {
  const rec = recordingCommit();
  const group = new GroupCommit(rec.commit);
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      group.submit(() => ({ result: `w${i}` })).then((r) => {
        assert.ok(rec.committed(), `${r} resolved before its commit`);
        return r;
      }),
    ),
  );
  assert.deepEqual(results, Array.from({ length: 20 }, (_, i) => `w${i}`));
  assert.deepEqual(rec.batches, [20]);
});

test("a planner that throws fails alone; the rest of its batch commits", async () => {
  const rec = recordingCommit();
  const group = new GroupCommit(rec.commit);
  const conflict = new Error("conflict");
  const outcomes = await Promise.allSettled([
    group.submit(() => ({ result: "a" })),
    group.submit(() => {
      throw conflict;
    }),
    group.submit(() => ({ result: "c" })),
  ]);
  assert.deepEqual(
    outcomes.map((o) => (o.status === "fulfilled" ? o.value : (o.reason as Error).message)),
    ["a", "conflict", "c"],
  );
  assert.deepEqual(rec.batches, [3]);
});

test("a commit that fails rejects every write of its batch", async () => {
  const disk = new Error("disk I/O error");
  const group = new GroupCommit(recordingCommit(disk).commit);
  const outcomes = await Promise.allSettled([group.submit(() => ({ result: "a" })), group.submit(() => ({ result: "b" }))]);
  assert.deepEqual(
    outcomes.map((o) => o.status === "rejected" && o.reason),
    [disk, disk],
  );
});

test("a large burst is committed in bounded batches, in order", async () => {
  const rec = recordingCommit();
  const group = new GroupCommit(rec.commit);
  const order: number[] = [];
  await Promise.all(Array.from({ length: 1200 }, (_, i) => group.submit(() => ({ result: String(i) })).then(() => order.push(i))));
  assert.deepEqual(rec.batches, [500, 500, 200]);
  assert.deepEqual(order, Array.from({ length: 1200 }, (_, i) => i));
});

test("writes submitted in later turns go into later commits", async () => {
  const rec = recordingCommit();
  const group = new GroupCommit(rec.commit);
  await group.submit(() => ({ result: "first" }));
  await group.submit(() => ({ result: "second" }));
  assert.deepEqual(rec.batches, [1, 1]);
});
