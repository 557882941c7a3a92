// Transferring runs the disks of a migration at once, each in one of the server-wide transfer slots
// (`serve --max-transfers`); the first disk to fail stops its siblings; a disk that arrives while a sibling still
// transfers is converted and read back at once, and the migration enters Converting when the last transfer ends.
import assert from "node:assert/strict";
import { readdir, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import { after, before, describe, it } from "node:test";
import type { VMMigration } from "../../api/vmmigration.ts";
import { Slots } from "../../runtime/slots.ts";
import type { SqliteStore } from "../../store/sqlite/index.ts";
import { stagingDir } from "./plan.ts";
import { closeRunnerFixture, migrationAt, openRunnerFixture, poolStorage, scriptedRunner } from "./runner.fixture.ts";

const STOP = "stop after the transfers";

describe("parallel disk transfers", () => {
  let store: SqliteStore;
  let pool: string;
  before(async () => {
    ({ store, pool } = await openRunnerFixture("parallel"));
  });
  after(() => closeRunnerFixture({ store, pool }));

  const source = { openDisk: async () => ({ sizeBytes: 4096, readRange: async () => Buffer.alloc(0), close: async () => undefined }) };
  const runner = (disk: object, transferSlots: Slots) => scriptedRunner(store, { source, target: poolStorage(pool), disk, transferSlots });

  async function migrationInTransfer(name: string, diskCount: number, spec: Partial<VMMigration["spec"]> = {}): Promise<void> {
    const keys = Array.from({ length: diskCount }, (_, i) => 2000 + i);
    await migrationAt(store, name, {
      phase: "Transferring",
      source: { vmID: `vm-${name}`, exportDisks: keys.map((key) => ({ key, capacityBytes: 4096 })) },
      disks: keys.map((key, i) => ({ diskID: `${name}-disk${i}`, key, sizeBytes: 4096, bytesDone: 0, targetFormat: "qcow2" })),
    }, spec);
  }

  /**
   * DiskOps whose transfer waits until `release` says so (re-asked whenever a transfer starts or ends, or on
   * wake()) and records how many transfers overlap; failDisk's transfer throws once `release` holds. Conversion
   * ends the run.
   */
  function countingDisk(opts: { release: (started: number) => boolean; failDisk?: string }) {
    const seen = { running: 0, peak: 0, started: 0, aborted: [] as string[] };
    const waiters: Array<() => void> = [];
    const wake = () => {
      for (const w of waiters.splice(0)) w();
    };
    const until = async (ok: () => boolean, signal: AbortSignal, path: string) => {
      while (!ok()) {
        await new Promise<void>((resolve, reject) => {
          if (signal.aborted) reject(signal.reason);
          waiters.push(resolve);
          signal.addEventListener("abort", () => reject(signal.reason), { once: true });
        }).catch((err: unknown) => {
          seen.aborted.push(path);
          throw err;
        });
      }
    };
    const disk = {
      transfer: async (a: { stagingPath: string; signal: AbortSignal }) => {
        seen.running++;
        seen.started++;
        seen.peak = Math.max(seen.peak, seen.running);
        wake();
        try {
          if (opts.failDisk && a.stagingPath.includes(opts.failDisk)) {
            await until(() => opts.release(seen.started), a.signal, a.stagingPath);
            throw new Error(`${opts.failDisk}: source read failed`);
          }
          await until(() => opts.release(seen.started) && !opts.failDisk, a.signal, a.stagingPath);
          await writeFile(a.stagingPath, Buffer.alloc(4096));
          return { sha256: "sha256:00" };
        } finally {
          seen.running--;
          wake();
        }
      },
      stagingSha256: async () => "sha256:00",
      convert: async () => {
        throw new Error(STOP);
      },
    };
    return { disk, seen, wake };
  }

  it("the disks of one migration transfer at once", async () => {
    await migrationInTransfer("three", 3);
    // Each transfer returns only once all three have started: run one at a time, this never finishes.
    const { disk, seen } = countingDisk({ release: (started) => started >= 3 });
    await assert.rejects(runner(disk, new Slots(3)).run("default", "three", AbortSignal.timeout(10_000)), new RegExp(STOP));
    assert.equal(seen.peak, 3);
    const m = await store.get<VMMigration>("VMMigration", "default", "three");
    assert.deepEqual(m.status?.disks?.map((d) => d.state), ["Transferred", "Transferred", "Transferred"]);
    assert.equal(m.status?.phase, "Converting");
  });

  it("migrations sharing the server's slots never run more transfers than the bound", async () => {
    await migrationInTransfer("left", 2);
    await migrationInTransfer("right", 2);
    let mayFinish = false;
    const { disk, seen, wake } = countingDisk({ release: () => mayFinish });
    const slots = new Slots(2);
    const runners = ["left", "right"].map((name) => runner(disk, slots).run("default", name, AbortSignal.timeout(10_000)));
    // Both runners' outcomes are observed from the start: whichever ends first is never an unhandled rejection.
    const ended = Promise.all(runners.map((r) => assert.rejects(r, new RegExp(STOP))));
    const deadline = Date.now() + 5_000;
    while ((seen.started < 2 || slots.waiting < 2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(seen.running, 2, "both slots are used");
    assert.equal(slots.waiting, 2, "the other two disks wait for a slot");
    mayFinish = true;
    wake();
    await ended;
    assert.equal(seen.peak, 2);
    assert.equal(seen.started, 4);
  });

  it("the first disk to fail stops its siblings, and the phase fails with that disk's error", async () => {
    await migrationInTransfer("broken", 3);
    const { disk, seen } = countingDisk({ release: (started) => started >= 3, failDisk: "broken-disk1" });
    await assert.rejects(runner(disk, new Slots(3)).run("default", "broken", AbortSignal.timeout(10_000)), /broken-disk1: source read failed/);
    assert.equal(seen.running, 0, "no transfer is left running");
    assert.deepEqual(seen.aborted.map((p) => p.replace(/.*\//, "")).sort(), ["broken-disk0.raw", "broken-disk2.raw"]);
    const m = await store.get<VMMigration>("VMMigration", "default", "broken");
    assert.equal(m.status?.phase, "Transferring");
  });

  it("a disk that arrives while a sibling still transfers is converted and read back at once, out of its slot; Converting starts when the last transfer ends", async () => {
    await migrationInTransfer("staggered", 2, { options: { guestConversion: "skip" } });
    const events: string[] = [];
    const phaseNow = async () => (await store.get<VMMigration>("VMMigration", "default", "staggered")).status?.phase;
    let firstReadBack: () => void = () => undefined;
    const firstConverted = new Promise<void>((resolve) => {
      firstReadBack = resolve;
    });
    let slotsWhileConverting = -1;
    const slots = new Slots(2);
    const disk = {
      // disk0 arrives at once; disk1 goes on until disk0 has been converted and read back (or 3 s: without
      // conversion on arrival, disk0 would wait for it and the order below shows that).
      transfer: async (a: { stagingPath: string }) => {
        const name = basename(a.stagingPath, ".raw");
        if (name.endsWith("disk1")) await Promise.race([firstConverted, new Promise((r) => setTimeout(r, 3000))]);
        await writeFile(a.stagingPath, Buffer.alloc(4096));
        events.push(`transferred ${name}`);
        return { sha256: "sha256:00" };
      },
      stagingSha256: async () => "sha256:00",
      convert: async (a: { dest: string }) => {
        events.push(`convert ${basename(a.dest, ".qcow2")} in ${await phaseNow()}`);
        slotsWhileConverting = Math.max(slotsWhileConverting, slots.held);
        await writeFile(a.dest, "converted");
      },
      imageSha256FromStaging: async (a: { image: string; stagingHash?: Promise<string> }) => {
        events.push(`read back ${basename(a.image, ".qcow2")}`);
        if (a.image.includes("disk0")) firstReadBack();
        return { sha256: await (a.stagingHash as Promise<string>) };
      },
    };
    const target = {
      ...poolStorage(pool),
      importDisk: async () => {
        throw new Error(STOP);
      },
    };
    const run = scriptedRunner(store, { source, target, disk, transferSlots: slots }).run("default", "staggered", AbortSignal.timeout(10_000));
    await assert.rejects(run, new RegExp(STOP));
    assert.deepEqual(
      events,
      ["transferred staggered-disk0", "convert staggered-disk0 in Transferring", "read back staggered-disk0", "transferred staggered-disk1", "convert staggered-disk1 in Converting", "read back staggered-disk1"],
      "disk0 is converted while disk1 transfers; disk1, the last to arrive, in Converting",
    );
    assert.equal(slotsWhileConverting, 1, "a conversion holds no transfer slot: only disk1's transfer held one");
    const m = await store.get<VMMigration>("VMMigration", "default", "staggered");
    assert.deepEqual(m.status?.disks?.map((d) => [d.state, d.targetSha256]), [["Converted", "sha256:00"], ["Converted", "sha256:00"]]);
    assert.deepEqual(m.status?.phaseHistory?.map((h) => h.phase), ["Converting", "Importing"], "Converting entered once");
    assert.deepEqual((await readdir(stagingDir(pool, m))).sort(), ["staggered-disk0.qcow2", "staggered-disk1.qcow2"], "each raw staging file goes once its disk is Converted");
  });

  it("the migration is Converting once no disk transfers any more, while a disk that arrived earlier still converts", async () => {
    await migrationInTransfer("slowconv", 2, { options: { guestConversion: "skip" } });
    const phaseNow = async () => (await store.get<VMMigration>("VMMigration", "default", "slowconv")).status?.phase;
    let conversionStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      conversionStarted = resolve;
    });
    const seen: string[] = [];
    const disk = {
      transfer: async (a: { stagingPath: string }) => {
        if (a.stagingPath.includes("disk1")) await started;
        await writeFile(a.stagingPath, Buffer.alloc(4096));
        return { sha256: "sha256:00" };
      },
      stagingSha256: async () => "sha256:00",
      // disk0's conversion outlasts disk1's transfer: it ends once the phase moved on (or after 3 s).
      convert: async (a: { dest: string }) => {
        if (a.dest.includes("disk0")) {
          conversionStarted();
          const deadline = Date.now() + 3000;
          while ((await phaseNow()) !== "Converting" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
          seen.push(`disk0's conversion ended in ${await phaseNow()}`);
        }
        await writeFile(a.dest, "converted");
      },
      imageSha256FromStaging: async (a: { stagingHash?: Promise<string> }) => ({ sha256: await (a.stagingHash as Promise<string>) }),
    };
    const target = {
      ...poolStorage(pool),
      importDisk: async () => {
        throw new Error(STOP);
      },
    };
    await assert.rejects(scriptedRunner(store, { source, target, disk }).run("default", "slowconv", AbortSignal.timeout(10_000)), new RegExp(STOP));
    assert.deepEqual(seen, ["disk0's conversion ended in Converting"]);
  });
});
