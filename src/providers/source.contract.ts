// The shared suite every SourceProvider passes (vSphere against vcsim; others as they come). It registers
// node:test tests; the caller supplies a fixture describing what the source really holds.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import type { DiskReader, SourceProvider, SourceVM } from "./contract.ts";

export interface SourceContractDisk {
  /** Guest-visible size the provider must report, exactly. */
  capacityBytes: number;
  /** sha256 hex of all capacityBytes guest-visible bytes. */
  sha256: string;
  /** A file holding the disk's leading bytes (the rest reads as zeros); used to check ranged reads. */
  contentPath?: string;
  /** Bytes at the disk's end the source does not store, that the reader must report as zero-filled. Default 0. */
  zeroFilledTailBytes?: number;
}

export interface SourceContractFixture {
  provider: SourceProvider;
  /** Powered-off VMs that must be listed, with their disks in the provider's order. */
  vms: Array<{ name: string; disks: SourceContractDisk[] }>;
  /** A powered-on VM (with at least one disk) for the export power-cycle and snapshot tests. */
  runningVM: { name: string; disks: SourceContractDisk[] };
  /** A name no VM has. */
  missingVMName: string;
  /** An id no VM has. */
  missingVMID: string;
  /** Snapshots currently on a VM: proves snapshot mode removes what it created. */
  countSnapshots(vmID: string): Promise<number>;
  teardown(): Promise<void>;
}

async function hashRange(reader: DiskReader, offset: number, length: number): Promise<{ hex: string; bytes: number }> {
  const h = createHash("sha256");
  let bytes = 0;
  for await (const chunk of reader.readRange(offset, length)) {
    h.update(chunk);
    bytes += chunk.length;
  }
  return { hex: h.digest("hex"), bytes };
}

async function collect(reader: DiskReader, offset: number, length: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of reader.readRange(offset, length)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Bytes [offset, offset+length) of a disk whose leading bytes are the content file (zeros after it). */
async function expectedBytes(contentPath: string, offset: number, length: number): Promise<Buffer> {
  const out = Buffer.alloc(length);
  const fh = await open(contentPath, "r");
  try {
    await fh.read(out, 0, length, offset);
  } finally {
    await fh.close();
  }
  return out;
}

/** Odd offsets and lengths: sector-unaligned, crossing MiB boundaries, touching both ends of the disk. */
export function probeRanges(size: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [
    [0, 1],
    [1, 511],
    [511, 1027],
    [4097, 65_537],
    [(1 << 20) - 3, 7],
    [size - 13, 13],
    [size - 1, 1],
    [Math.floor(size / 3) + 5, Math.floor(size / 3)],
  ];
  return ranges.filter(([o, l]) => o >= 0 && l > 0 && o + l <= size);
}

export function runSourceContract(name: string, setup: () => Promise<SourceContractFixture>): void {
  describe(`SourceProvider contract: ${name}`, () => {
    let fx: SourceContractFixture;
    before(async () => {
      fx = await setup();
    });
    after(async () => {
      await fx?.provider.close();
      await fx?.teardown();
    });

    const byName = async (vmName: string): Promise<SourceVM> => {
      const vm = (await fx.provider.listVMs()).find((v) => v.name === vmName);
      assert.ok(vm, `listVMs() lacks VM "${vmName}"`);
      return vm;
    };

    test("check() reports Connected", async () => {
      const health = await fx.provider.check();
      assert.equal(health.reason, "Connected", health.message);
      assert.equal(health.ready, true);
    });

    test("listVMs() lists the fixture's VMs with exact disk capacities", async () => {
      const listed = await fx.provider.listVMs();
      for (const want of [...fx.vms, fx.runningVM]) {
        const vm = listed.find((v) => v.name === want.name);
        assert.ok(vm, `VM "${want.name}" missing from ${listed.map((v) => v.name).join(", ")}`);
        assert.ok(vm.id, "id is set");
        assert.match(vm.uuid, /^[0-9a-f-]{36}$/i);
        assert.deepEqual(
          vm.disks.map((d) => d.capacityBytes),
          want.disks.map((d) => d.capacityBytes),
          `disk capacities of ${want.name}`,
        );
        for (const d of vm.disks) assert.ok(d.fileName && d.controller && d.label, `disk ${d.key} of ${want.name} is fully described`);
      }
      const running = listed.find((v) => v.name === fx.runningVM.name);
      assert.equal(running?.powerState, "poweredOn");
    });

    test("getVM() by name and by id return the listed VM", async () => {
      const listed = await byName(fx.vms[0].name);
      assert.deepEqual(await fx.provider.getVM({ name: listed.name }), listed);
      assert.deepEqual(await fx.provider.getVM({ id: listed.id }), listed);
    });

    test("getVM() of a missing VM throws NotFound", async () => {
      await assert.rejects(fx.provider.getVM({ name: fx.missingVMName }), (err: { code?: string }) => err.code === "NotFound");
      await assert.rejects(fx.provider.getVM({ id: fx.missingVMID }), (err: { code?: string }) => err.code === "NotFound");
    });

    test("openDisk() bytes hash to the content's sha256, whole and in odd ranges", async () => {
      for (const want of fx.vms) {
        const vm = await byName(want.name);
        const session = await fx.provider.prepareExport(vm, { mode: "cold" });
        try {
          for (const [i, disk] of vm.disks.entries()) {
            const reader = await fx.provider.openDisk(session, disk);
            try {
              assert.equal(reader.sizeBytes, want.disks[i].capacityBytes);
              assert.equal(reader.zeroFilledTailBytes ?? 0, want.disks[i].zeroFilledTailBytes ?? 0, `zero-filled tail of ${want.name} disk ${i}`);
              const whole = await hashRange(reader, 0, reader.sizeBytes);
              assert.equal(whole.bytes, reader.sizeBytes, `bytes read from ${want.name} disk ${i}`);
              assert.equal(whole.hex, want.disks[i].sha256, `sha256 of ${want.name} disk ${i}`);
              const contentPath = want.disks[i].contentPath;
              if (!contentPath) continue;
              for (const [offset, length] of probeRanges(reader.sizeBytes)) {
                const got = await collect(reader, offset, length);
                const expected = await expectedBytes(contentPath, offset, length);
                assert.ok(got.equals(expected), `${want.name} disk ${i} range [${offset}, +${length}) differs from the content`);
              }
            } finally {
              await reader.close();
            }
          }
        } finally {
          await fx.provider.finishExport(session, { restorePower: true });
        }
      }
    });

    test("readRange() outside the disk is refused", async () => {
      const vm = await byName(fx.vms[0].name);
      const session = await fx.provider.prepareExport(vm, { mode: "cold" });
      const reader = await fx.provider.openDisk(session, vm.disks[0]);
      await assert.rejects(collect(reader, reader.sizeBytes - 1, 2), RangeError);
      await assert.rejects(collect(reader, -1, 1), RangeError);
      await reader.close();
      await fx.provider.finishExport(session, { restorePower: true });
    });

    test("cold export powers a running VM off, finishExport({restorePower: true}) powers it on", async () => {
      const vm = await byName(fx.runningVM.name);
      assert.equal(vm.powerState, "poweredOn");
      const session = await fx.provider.prepareExport(vm, { mode: "cold" });
      assert.equal(session.powerStateBefore, "poweredOn");
      assert.equal(session.poweredOffByExport, true);
      assert.equal((await fx.provider.getVM({ id: vm.id })).powerState, "poweredOff");
      // The session survives a restart as JSON.
      const restored = JSON.parse(JSON.stringify(session));
      await fx.provider.finishExport(restored, { restorePower: true });
      assert.equal((await fx.provider.getVM({ id: vm.id })).powerState, "poweredOn");
    });

    test("cold export with restorePower false leaves the VM off; powerOn() starts it", async () => {
      const vm = await byName(fx.runningVM.name);
      const session = await fx.provider.prepareExport(vm, { mode: "cold" });
      await fx.provider.finishExport(session, { restorePower: false });
      assert.equal((await fx.provider.getVM({ id: vm.id })).powerState, "poweredOff");
      await fx.provider.powerOn(vm.id);
      assert.equal((await fx.provider.getVM({ id: vm.id })).powerState, "poweredOn");
    });

    test("snapshot export reads a running VM's disks from a snapshot and removes it", async () => {
      const vm = await byName(fx.runningVM.name);
      const before = await fx.countSnapshots(vm.id);
      const session = await fx.provider.prepareExport(vm, { mode: "snapshot" });
      assert.ok(session.snapshotID, "session names its snapshot");
      assert.equal(await fx.countSnapshots(vm.id), before + 1);
      assert.equal((await fx.provider.getVM({ id: vm.id })).powerState, "poweredOn", "snapshot mode keeps the VM running");
      assert.deepEqual(
        session.disks.map((d) => d.capacityBytes),
        fx.runningVM.disks.map((d) => d.capacityBytes),
      );
      const reader = await fx.provider.openDisk(session, session.disks[0]);
      assert.equal((await hashRange(reader, 0, reader.sizeBytes)).hex, fx.runningVM.disks[0].sha256);
      await reader.close();
      await fx.provider.finishExport(session, { restorePower: true });
      assert.equal(await fx.countSnapshots(vm.id), before);
      // Finishing twice (a retry after a crash) is harmless.
      await fx.provider.finishExport(session, { restorePower: true });
      assert.equal((await fx.provider.getVM({ id: vm.id })).powerState, "poweredOn");
    });
  });
}
