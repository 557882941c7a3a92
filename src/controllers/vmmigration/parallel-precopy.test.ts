// A warm precopy copies the changed areas of its disks at once, each in one of the server-wide transfer slots
// (`serve --max-transfers`): three disks with three slots overlap; with two slots, never more than two.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { VMMigration } from "../../api/vmmigration.ts";
import { Slots } from "../../runtime/slots.ts";
import type { SqliteStore } from "../../store/sqlite/index.ts";
import { closeRunnerFixture, migrationAt, openRunnerFixture, poolStorage, scriptedRunner } from "./runner.fixture.ts";

const KEYS = [2000, 2001, 2002];

describe("parallel precopy disks", () => {
  let store: SqliteStore;
  let pool: string;
  before(async () => {
    ({ store, pool } = await openRunnerFixture("parallel-precopy"));
  });
  after(() => closeRunnerFixture({ store, pool }));

  // Precopy 0 is done; precopy 1 is due (interval 1s, completed long ago) and the next one an hour away after it.
  async function warmAfterPrecopy0(name: string): Promise<void> {
    const long = new Date(Date.now() - 3_600_000).toISOString();
    await migrationAt(
      store,
      name,
      {
        phase: "Precopying",
        source: { vmID: `vm-${name}`, changeTrackingBefore: true },
        disks: KEYS.map((key, i) => ({ diskID: `${name}-disk${i}`, key, sizeBytes: 4096, bytesDone: 4096, targetFormat: "qcow2" })),
        precopies: [{ index: 0, snapshotName: "s0", snapshotID: "snap-0", snapshotRemoved: true, startedAt: long, completedAt: long, bytes: 3 * 4096, disks: KEYS.map((_, i) => ({ diskID: `${name}-disk${i}`, changeId: "c/0", done: true })) }],
      },
      { options: { mode: "warm", precopyInterval: "1s" } },
    );
  }

  const source = (name: string) => ({
    getVM: async () => ({ id: `vm-${name}`, name, powerState: "poweredOn", disks: [] }),
    prepareExport: async () => ({
      vmID: `vm-${name}`,
      mode: "snapshot",
      powerStateBefore: "poweredOn",
      poweredOffByExport: false,
      snapshotID: "snap-1",
      snapshotName: "s1",
      disks: KEYS.map((key) => ({ key, label: `d${key}`, fileName: `[ds] ${key}.vmdk`, capacityBytes: 4096, datastore: "ds", controller: "scsi", changeId: "c/1" })),
    }),
    queryChangedAreas: async () => [{ start: 0, length: 512 }],
    openDisk: async () => ({ sizeBytes: 4096, readRange: async function* () {}, close: async () => undefined }),
    finishExport: async () => undefined,
  });

  /** Disk operations whose applyChangedAreas waits until `release(started)` holds, counting overlaps. */
  function countingDisk(release: (started: number) => boolean) {
    const seen = { running: 0, peak: 0, started: 0 };
    const waiters: Array<() => void> = [];
    const wake = () => {
      for (const w of waiters.splice(0)) w();
    };
    const disk = {
      applyChangedAreas: async () => {
        seen.running++;
        seen.started++;
        seen.peak = Math.max(seen.peak, seen.running);
        wake();
        try {
          while (!release(seen.started)) await new Promise<void>((resolve) => waiters.push(resolve));
          // A copy takes a while: any other copy free to start meanwhile does.
          await new Promise((resolve) => setTimeout(resolve, 20));
          return { bytes: 512, chunks: 1 };
        } finally {
          seen.running--;
          wake();
        }
      },
      verifyUnverified: async () => ({ checked: 1, mismatched: [] }),
      markImageAreasWritten: async () => undefined,
      writeAreas: async () => undefined,
      verifyImageUnverified: async () => ({ checked: 1, mismatched: [] }),
    };
    return { disk, seen };
  }

  it("the disks of one precopy copy at once", async () => {
    await warmAfterPrecopy0("three");
    // Each copy returns only once all three have started: one at a time, this never finishes.
    const { disk, seen } = countingDisk((started) => started >= 3);
    await scriptedRunner(store, { source: source("three"), target: poolStorage(pool), disk, transferSlots: new Slots(3) }).run("default", "three", AbortSignal.timeout(10_000));
    assert.equal(seen.peak, 3);
    const m = await store.get<VMMigration>("VMMigration", "default", "three");
    const p1 = m.status?.precopies?.[1];
    assert.ok(p1?.completedAt, "precopy 1 completed");
    assert.deepEqual(p1?.disks.map((d) => [d.done, d.bytes]), KEYS.map(() => [true, 512]));
    assert.equal(p1?.bytes, 3 * 512);
  });

  it("never more at once than the server's slots", async () => {
    await warmAfterPrecopy0("bounded");
    // Copies return once two have started: two run at once, and the third waits for a slot instead of joining them.
    const { disk, seen } = countingDisk((started) => started >= 2);
    await scriptedRunner(store, { source: source("bounded"), target: poolStorage(pool), disk, transferSlots: new Slots(2) }).run("default", "bounded", AbortSignal.timeout(10_000));
    assert.equal(seen.peak, 2);
    assert.equal(seen.started, 3);
  });
});
