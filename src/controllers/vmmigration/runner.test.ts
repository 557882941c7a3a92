// The runner's Creating phase with a real (in-memory) store and scripted providers: it polls until the
// VirtualMachine controller reports Ready, and those polls must not leave listeners on the migration's signal.
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { mkdir, readdir, stat, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import type { VMMigration } from "../../api/vmmigration.ts";
import type { SourceVM } from "../../providers/contract.ts";
import type { SqliteStore } from "../../store/sqlite/index.ts";
import { stagingDir } from "./plan.ts";
import { closeRunnerFixture, migrationAt, openRunnerFixture, poolStorage, scriptedRunner } from "./runner.fixture.ts";

const sourceVM: SourceVM = {
  id: "vm-1",
  name: "web01",
  powerState: "poweredOff",
  cpus: 1,
  memoryMiB: 512,
  firmware: "bios",
  disks: [],
  nics: [],
} as unknown as SourceVM;

describe("MigrationRunner", () => {
  let store: SqliteStore;
  let pool: string;
  before(async () => {
    ({ store, pool } = await openRunnerFixture("runner"));
  });
  after(() => closeRunnerFixture({ store, pool }));

  /** The staging directory of `m` with each disk's raw staging file and digests sidecar, as Transferring leaves them. */
  async function stageRaw(m: VMMigration, disks: Array<{ diskID: string }>): Promise<string> {
    const staged = stagingDir(pool, m);
    await mkdir(staged, { recursive: true });
    for (const d of disks) {
      await writeFile(join(staged, `${d.diskID}.raw`), Buffer.alloc(4096));
      await writeFile(join(staged, `${d.diskID}.raw.digests`), "digests");
    }
    return staged;
  }

  it("waits for the VirtualMachine to be Ready without piling abort listeners on the migration's signal", async () => {
    const finished: string[] = [];
    const source = {
      type: "vsphere",
      getVM: async () => sourceVM,
      finishExport: async () => {
        finished.push("finishExport");
      },
    };
    const runner = scriptedRunner(store, { source });

    await migrationAt(store, "web01", { phase: "Creating", source: { vmID: "vm-1" }, disks: [] }, { target: { providerRef: { name: "kvm" }, vmName: "web01" } });
    const vm = await store.create<VirtualMachine>({
      apiVersion: "landfall.dev/v1beta1",
      kind: "VirtualMachine",
      metadata: { name: "web01", namespace: "default" },
      spec: { providerRef: { name: "kvm" }, importedDisk: { diskID: "web01-disk0", path: "/pool/web01-disk0.qcow2", format: "qcow2", sizeGiB: 1 } },
    } as VirtualMachine);
    // The VirtualMachine controller's part, after a few of the runner's polls.
    const ready = setTimeout(() => {
      void store.updateStatus<VirtualMachine>({
        ...vm,
        status: { phase: "Running", providerID: "uuid-1", conditions: [{ type: "Ready", status: "True", reason: "Running", message: "up", lastTransitionTime: new Date().toISOString() }] },
      });
    }, 1200);

    const stop = new AbortController();
    try {
      await runner.run("default", "web01", stop.signal);
    } finally {
      clearTimeout(ready);
    }
    const done = await store.get<VMMigration>("VMMigration", "default", "web01");
    assert.equal(done.status?.phase, "Succeeded");
    assert.deepEqual(finished, ["finishExport"]);
    assert.equal(getEventListeners(stop.signal, "abort").length, 0);
  });

  it("hands the migration's signal to the conversion, so cancelling stops qemu-img", async () => {
    const signals: Array<AbortSignal | undefined> = [];
    const disk = {
      convert: async (args: { signal?: AbortSignal }) => {
        signals.push(args.signal);
        throw new Error("stop after the conversion started");
      },
    };
    const runner = scriptedRunner(store, { target: poolStorage(pool), disk });
    const transferred = { diskID: "db01-disk0", key: 2000, sizeBytes: 4096, bytesDone: 4096, targetFormat: "qcow2", state: "Transferred" };
    const m = await migrationAt(store, "db01", { phase: "Converting", disks: [transferred] });
    const staged = stagingDir(pool, m);
    await mkdir(staged, { recursive: true });
    await writeFile(join(staged, "db01-disk0.raw"), Buffer.alloc(4096));

    const stop = new AbortController();
    await assert.rejects(runner.run("default", "db01", stop.signal), /stop after the conversion started/);
    assert.equal(signals.length, 1);
    assert.equal(signals[0], stop.signal);
  });

  it("Converting keeps only the last disk's raw staging file for Importing's proof when it reads nothing back itself: the space peak never grows", async () => {
    let atImport: string[] | undefined;
    let staged = "";
    const disk = {
      convert: async (a: { dest: string }) => writeFile(a.dest, "converted"),
      imageInfo: async () => ({ format: "qcow2", virtualSizeBytes: 4096 }),
    };
    // A target whose volumes are not files (KubeVirt): it checks its own copy, so Converting reads nothing back.
    const target = {
      ...poolStorage(pool),
      describeVolume: async () => {
        throw new Error("not reached");
      },
      importDisk: async () => {
        atImport = (await readdir(staged)).sort();
        throw new Error("stop at the first import");
      },
    };
    const runner = scriptedRunner(store, { target, disk });
    const disks = [0, 1, 2].map((i) => ({ diskID: `kv01-disk${i}`, key: 2000 + i, sizeBytes: 4096, bytesDone: 4096, sha256: "sha256:aa", targetFormat: "qcow2", state: "Transferred" }));
    const m = await migrationAt(store, "kv01", { phase: "Converting", disks }, { options: { guestConversion: "skip" } });
    staged = await stageRaw(m, disks);
    await assert.rejects(runner.run("default", "kv01", new AbortController().signal), /stop at the first import/);
    assert.deepEqual(atImport, ["kv01-disk0.qcow2", "kv01-disk1.qcow2", "kv01-disk2.qcow2", "kv01-disk2.raw", "kv01-disk2.raw.digests"]);
  });

  it("Converting reads each image back while it converts (the staging proof beside qemu-img), records its sha256 and keeps no raw staging file", async () => {
    let atImport: string[] | undefined;
    let staged = "";
    const order: string[] = [];
    const disk = {
      stagingSha256: async (path: string) => {
        order.push(`proof ${basename(path)}`);
        await new Promise((r) => setTimeout(r, 20));
        order.push(`proven ${basename(path)}`);
        return "sha256:aa";
      },
      convert: async (a: { dest: string }) => {
        order.push(`convert ${basename(a.dest)}`);
        await writeFile(a.dest, "converted");
      },
      imageSha256FromStaging: async (a: { image: string; stagingHash?: Promise<string> }) => {
        order.push(`compare ${basename(a.image)}`);
        return { sha256: await (a.stagingHash as Promise<string>) };
      },
      imageInfo: async () => ({ format: "qcow2", virtualSizeBytes: 4096 }),
    };
    const target = {
      ...poolStorage(pool),
      importDisk: async () => {
        atImport = (await readdir(staged)).sort();
        throw new Error("stop at the first import");
      },
    };
    const runner = scriptedRunner(store, { target, disk });
    const disks = [0, 1].map((i) => ({ diskID: `rb01-disk${i}`, key: 2000 + i, sizeBytes: 4096, bytesDone: 4096, sha256: "sha256:aa", targetFormat: "qcow2", state: "Transferred" }));
    const m = await migrationAt(store, "rb01", { phase: "Converting", disks }, { options: { guestConversion: "skip" } });
    staged = await stageRaw(m, disks);
    await assert.rejects(runner.run("default", "rb01", new AbortController().signal), /stop at the first import/);
    assert.deepEqual(order.slice(0, 4), ["proof rb01-disk0.raw", "convert rb01-disk0.qcow2", "proven rb01-disk0.raw", "compare rb01-disk0.qcow2"], "the proof runs while qemu-img converts");
    assert.deepEqual(atImport, ["rb01-disk0.qcow2", "rb01-disk1.qcow2"], "no raw staging file or digests left");
    const after = await store.get<VMMigration>("VMMigration", "default", "rb01");
    assert.deepEqual(after.status?.disks?.map((d) => [d.state, d.targetSha256]), [["Converted", "sha256:aa"], ["Converted", "sha256:aa"]]);
  });

  it("an image that reads back as another sha256 than the source's fails Converting with both hashes and keeps its staging file", async () => {
    const disk = {
      stagingSha256: async () => "sha256:aa",
      convert: async (a: { dest: string }) => writeFile(a.dest, "converted"),
      imageSha256FromStaging: async () => ({ sha256: "sha256:bb", difference: "it differs from the staging file (Content mismatch at offset 600!)" }),
    };
    const runner = scriptedRunner(store, { target: poolStorage(pool), disk });
    const d = { diskID: "rb02-disk0", key: 2000, sizeBytes: 4096, bytesDone: 4096, sha256: "sha256:aa", targetFormat: "qcow2", state: "Transferred" };
    const m = await migrationAt(store, "rb02", { phase: "Converting", disks: [d] }, { options: { guestConversion: "skip" } });
    const staged = stagingDir(pool, m);
    await mkdir(staged, { recursive: true });
    await writeFile(join(staged, "rb02-disk0.raw"), Buffer.alloc(4096));
    const error = await runner.run("default", "rb02", new AbortController().signal).then(() => undefined, (e: unknown) => e);
    assert.equal((error as { reason?: string }).reason, "ChecksumMismatch");
    assert.match((error as Error).message, /hashes to sha256:bb but the source read hashed to sha256:aa \(it differs from the staging file \(Content mismatch at offset 600!\)\)/);
    const after = await store.get<VMMigration>("VMMigration", "default", "rb02");
    assert.equal(after.status?.disks?.[0].state, "Transferred");
    assert.equal(after.status?.disks?.[0].targetSha256, undefined);
    assert.deepEqual((await readdir(staged)).sort(), ["rb02-disk0.qcow2", "rb02-disk0.raw"]);
  });

  it("a disk whose staged image is lost goes back to Transferring without what was read back or converted from the lost copy", async () => {
    const source = {
      openDisk: async () => {
        throw new Error("stop at the transfer");
      },
    };
    const runner = scriptedRunner(store, { source, target: poolStorage(pool), disk: {} });
    const boot = { diskID: "lost01-disk0", key: 2000, sourcePath: "[ds] x.vmdk", sizeBytes: 4096, bytesDone: 4096, sha256: "sha256:aa", targetSha256: "sha256:aa", convertedSha256: "sha256:cc", targetFormat: "qcow2", state: "Converted" };
    const guest = { os: "linux", distro: "debian", conversion: ["rebuilt the initramfs"] };
    const m = await migrationAt(store, "lost01", { phase: "Importing", source: { vmID: "vm-1", exportDisks: [{ key: 2000, capacityBytes: 4096 }] }, guest, disks: [boot] });
    await mkdir(stagingDir(pool, m), { recursive: true });
    await assert.rejects(runner.run("default", "lost01", new AbortController().signal), /stop at the transfer/);
    const after = await store.get<VMMigration>("VMMigration", "default", "lost01");
    assert.equal(after.status?.phase, "Transferring");
    const [d] = after.status?.disks ?? [];
    assert.deepEqual([d.sha256, d.targetSha256, d.convertedSha256], [undefined, undefined, undefined], "a stale read-back would let Importing skip reading the new copy");
    assert.equal(after.status?.guest, undefined, "the new copy's guest is converted again, not taken as done");
  });

  it("a volume already in the pool under the disk's name (an import killed before it was recorded) is adopted, verified and not imported again", async () => {
    const imports: string[] = [];
    const hashed: string[] = [];
    const target = {
      ...poolStorage(pool),
      importDisk: async (r: { diskID: string }) => {
        imports.push(r.diskID);
        throw Object.assign(new Error(`volume ${r.diskID} already exists`), { code: "AlreadyExists" });
      },
      verifyVolume: async (v: { path: string }) => {
        hashed.push(v.path);
        return "sha256:aa";
      },
    };
    const source = {
      getVM: async () => {
        throw new Error("stop before creating the VirtualMachine");
      },
    };
    const disk = { imageInfo: async () => ({ format: "qcow2", virtualSizeBytes: 4096 }) };
    const runner = scriptedRunner(store, { source, target, disk });
    const volume = join(pool, "app01-disk0.qcow2");
    await writeFile(volume, "the volume an earlier attempt imported");
    const converted = { diskID: "app01-disk0", key: 2000, sourcePath: "[ds] app01.vmdk", sizeBytes: 4096, bytesDone: 4096, sha256: "sha256:aa", targetPath: volume, targetFormat: "qcow2", state: "Converted" };
    const m = await migrationAt(store, "app01", { phase: "Importing", source: { vmID: "vm-3" }, disks: [converted] });
    const staged = stagingDir(pool, m);
    await mkdir(staged, { recursive: true });

    await assert.rejects(runner.run("default", "app01", new AbortController().signal), /stop before creating the VirtualMachine/);
    assert.deepEqual(imports, [], "never imported a second time");
    assert.deepEqual(hashed, [volume], "the adopted volume's hash was checked like a fresh import's");
    const after = await store.get<VMMigration>("VMMigration", "default", "app01");
    assert.equal(after.status?.phase, "Creating");
    assert.equal(after.status?.disks?.[0].state, "Verified");
    assert.equal(after.status?.disks?.[0].targetSha256, "sha256:aa");
    await assert.rejects(stat(staged), "the staging directory goes once every disk is recorded Verified");
  });

  it("records the export intent before shutting the guest down, so a rerun after the shutdown still knows the migration powered it off", async () => {
    let power: "poweredOn" | "poweredOff" = "poweredOn";
    const recordedAtShutdown: Array<string | boolean | undefined> = [];
    const disks = [{ key: 2000, label: "Hard disk 1", fileName: "[ds] db02/db02.vmdk", capacityBytes: 4096, datastore: "ds", controller: "scsi" }];
    let crash = true;
    const source = {
      getVM: async () => ({ ...sourceVM, id: "vm-9", name: "db02", powerState: power, disks }),
      prepareExport: async (vm: SourceVM) => {
        const now = await store.get<VMMigration>("VMMigration", "default", "db02");
        recordedAtShutdown.push(now.status?.source?.powerStateBefore, now.status?.source?.poweredOffByMigration);
        power = "poweredOff";
        if (crash) throw new Error("killed right after the guest shut down");
        return { vmID: vm.id, mode: "cold", powerStateBefore: vm.powerState, poweredOffByExport: vm.powerState === "poweredOn", disks };
      },
    };
    const target = {
      ensureStorage: async () => {
        throw new Error("stop before transferring");
      },
    };
    const runner = scriptedRunner(store, { source, target });
    await migrationAt(store, "db02", { phase: "Exporting", source: { vmID: "vm-9" }, disks: [] }, { options: { restoreSourcePower: true } });

    await assert.rejects(runner.run("default", "db02", new AbortController().signal), /killed right after the guest shut down/);
    assert.deepEqual(recordedAtShutdown, ["poweredOn", true], "intent was in status before the effect");
    crash = false;
    await assert.rejects(runner.run("default", "db02", new AbortController().signal), /stop before transferring/);
    const after = await store.get<VMMigration>("VMMigration", "default", "db02");
    assert.equal(after.status?.source?.powerStateBefore, "poweredOn", "not overwritten by the rerun's poweredOff");
    assert.equal(after.status?.source?.poweredOffByMigration, true, "so finishing or failing powers it back on");
    assert.deepEqual(after.status?.source?.exportDisks, disks, "the session's disks are recorded for the transfer");
    assert.equal(after.status?.phase, "Transferring");
  });
});
