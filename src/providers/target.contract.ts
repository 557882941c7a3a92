// The shared TargetProvider suite: every target implementation registers these tests with its own fixture
// (libvirt: test/e2e/libvirt-target.test.ts against real libvirtd). Tests run in order and build on each
// other (an imported disk is booted, labelled, deleted), so they live in one describe block.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { TargetNIC, TargetProvider, TargetVM, TargetVMSpec } from "./contract.ts";

export interface TargetContractFixture {
  provider: TargetProvider;
  /** Every VM name the suite creates starts with this; teardown removes what is left. */
  namePrefix: string;
  /** Local directory for source images (outside the provider's storage). */
  scratchDir: string;
  /** Writes a raw disk whose boot sector prints `marker` on the serial console. */
  writeBootDisk(path: string, options: { sizeBytes: number; marker: string; fill?: "zero" | "random" }): Promise<void>;
  /** Resolves once the VM's console shows `marker`; rejects after timeoutMs. */
  waitForMarker(vm: TargetVM, marker: string, timeoutMs: number): Promise<void>;
  /** sha256 hex of the guest-visible bytes of a disk image. */
  guestSha256(path: string, format: string): Promise<string>;
  /** sha256 hex of a file's bytes as stored. */
  fileSha256(path: string): Promise<string>;
  fileExists(path: string): Promise<boolean>;
  /** NICs the test VMs get (default: one user-mode virtio NIC). */
  nics?: TargetNIC[];
  teardown(): Promise<void>;
}

const MiB = 1024 * 1024;
const BOOT_TIMEOUT_MS = 60_000;

async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: Error & { code?: string }) => {
    assert.equal(error.code, code, `expected code ${code}, got ${error.code}: ${error.message}`);
    return true;
  });
}

export function runTargetContract(name: string, setup: () => Promise<TargetContractFixture>): void {
  describe(`TargetProvider contract: ${name}`, () => {
    let f: TargetContractFixture;
    let p: TargetProvider;
    let poolPath = "";
    const run = `${process.pid.toString(36)}${Date.now().toString(36)}`;
    const markerA = `landfall-contract-A-${run}`;
    const markerB = `landfall-contract-B-${run}`;
    let sourceA = "";
    let sourceAHash = "";
    let sourceBHash = "";
    let diskA = ""; // qcow2 imported from a raw boot disk (marker A)
    let diskB = ""; // raw imported by move (marker B), later the overlay's base
    let vmA: TargetVM;

    const spec = (vmName: string, disk: string, format: string, extra: Partial<TargetVMSpec> = {}): TargetVMSpec => ({
      name: `${f.namePrefix}-${vmName}`,
      cpus: 1,
      memoryMiB: 64,
      firmware: "bios",
      disks: [{ path: disk, format, bus: "virtio" }],
      nics: f.nics ?? [{ network: "user", model: "virtio", macAddress: "52:54:00:6c:66:01" }],
      ...extra,
    });

    before(async () => {
      f = await setup();
      p = f.provider;
    });

    after(async () => {
      await f?.provider.close();
      await f?.teardown();
    });

    test("check reports a reachable provider", async () => {
      const health = await p.check();
      assert.equal(health.ready, true, health.message);
      assert.equal(health.reason, "Connected");
    });

    test("ensureStorage creates the storage once and is idempotent", async () => {
      const first = await p.ensureStorage();
      const second = await p.ensureStorage();
      assert.equal(second.pool, first.pool);
      assert.equal(second.path, first.path);
      assert.ok(first.availableBytes > 0, `availableBytes ${first.availableBytes} should be positive`);
      poolPath = first.path;
    });

    test("importDisk raw → qcow2 keeps the guest bytes and leaves the source", async () => {
      sourceA = `${f.scratchDir}/a.raw`;
      await f.writeBootDisk(sourceA, { sizeBytes: 8 * MiB, marker: markerA, fill: "random" });
      sourceAHash = await f.fileSha256(sourceA);
      const volume = await p.importDisk({ diskID: `${f.namePrefix}-a`, sourcePath: sourceA, sourceFormat: "raw", format: "qcow2" });
      diskA = volume.path;
      assert.equal(volume.format, "qcow2");
      assert.equal(volume.virtualSizeBytes, 8 * MiB);
      assert.ok(volume.path.startsWith(`${poolPath}/`), `${volume.path} should lie in ${poolPath}`);
      assert.equal(await f.guestSha256(volume.path, "qcow2"), sourceAHash);
      assert.notEqual(await f.fileSha256(volume.path), sourceAHash, "the target really is qcow2, not a raw copy");
      assert.equal(await f.fileExists(sourceA), true);
    });

    test("importDisk raw → raw with consumeSource moves the file; the same diskID again is refused", async () => {
      const source = `${f.scratchDir}/b.raw`;
      await f.writeBootDisk(source, { sizeBytes: 8 * MiB, marker: markerB, fill: "random" });
      sourceBHash = await f.fileSha256(source);
      const request = { diskID: `${f.namePrefix}-b`, sourcePath: source, sourceFormat: "raw", format: "raw", consumeSource: true };
      const volume = await p.importDisk(request);
      diskB = volume.path;
      assert.equal(await f.guestSha256(volume.path, "raw"), sourceBHash);
      assert.equal(await f.fileExists(source), false, "consumed source should be gone");
      await rejectsWithCode(p.importDisk({ ...request, sourcePath: sourceA }), "AlreadyExists");
    });

    test("a consuming import that fails leaves its source where it was, and no volume", async () => {
      const source = `${f.scratchDir}/c.raw`;
      await f.writeBootDisk(source, { sizeBytes: 4 * MiB, marker: "consumed?", fill: "random" });
      const before = await f.fileSha256(source);
      // 8 PiB is past what the filesystem allows: the resize fails after the source was moved in.
      const request = { diskID: `${f.namePrefix}-huge`, sourcePath: source, sourceFormat: "raw", format: "raw", sizeBytes: 2 ** 53, consumeSource: true };
      await assert.rejects(p.importDisk(request));
      assert.equal(await f.fileSha256(source), before, "the source is back, unchanged");
      assert.equal(await f.fileExists(`${poolPath}/${f.namePrefix}-huge.raw`), false);
    });

    test("importDisk grows the disk to sizeBytes", async () => {
      const volume = await p.importDisk({
        diskID: `${f.namePrefix}-grown`,
        sourcePath: sourceA,
        sourceFormat: "raw",
        format: "qcow2",
        sizeBytes: 16 * MiB,
      });
      assert.equal(volume.virtualSizeBytes, 16 * MiB);
      await p.deleteDisk(volume.path);
      assert.equal(await f.fileExists(volume.path), false);
    });

    test("createVM defines a stopped VM; start runs it and the imported disk boots", async () => {
      const labels = { "landfall.dev/managed": "true", tier: "web" };
      vmA = await p.createVM(spec("a", diskA, "qcow2", { labels }));
      assert.equal(vmA.state, "shutoff", "createVM must not start the VM");
      assert.match(vmA.uuid, /^[0-9a-f-]{36}$/);
      assert.equal(vmA.cpus, 1);
      assert.equal(vmA.memoryMiB, 64);
      assert.equal(vmA.firmware, "bios");
      assert.deepEqual(vmA.labels, labels);
      assert.equal(vmA.disks[0].path, diskA);
      assert.equal(vmA.disks[0].format, "qcow2");
      if (!f.nics) assert.equal(vmA.nics[0].macAddress, "52:54:00:6c:66:01");
      await p.setPower(vmA.uuid, "start");
      await p.setPower(vmA.uuid, "start"); // idempotent
      const running = await p.getVM({ uuid: vmA.uuid });
      assert.equal(running?.state, "running");
      await f.waitForMarker(running!, markerA, BOOT_TIMEOUT_MS);
    });

    test("createVM refuses a name that exists", async () => {
      await rejectsWithCode(p.createVM(spec("a", diskA, "qcow2")), "AlreadyExists");
    });

    test("getVM finds a VM by uuid and by name, and answers undefined for unknown ones", async () => {
      const byUUID = await p.getVM({ uuid: vmA.uuid });
      const byName = await p.getVM({ name: vmA.name });
      assert.equal(byUUID?.name, vmA.name);
      assert.equal(byName?.uuid, vmA.uuid);
      assert.equal(await p.getVM({ name: `${f.namePrefix}-missing` }), undefined);
      assert.equal(await p.getVM({ uuid: "00000000-0000-4000-8000-00000000dead" }), undefined);
    });

    test("setLabels merges and removes labels and keeps the uuid, running or stopped", async () => {
      await p.setLabels(vmA.uuid, { tier: "db", "landfall.dev/adopted": "true", "landfall.dev/managed": null });
      const labelled = await p.getVM({ uuid: vmA.uuid });
      assert.equal(labelled?.uuid, vmA.uuid);
      assert.deepEqual(labelled?.labels, { tier: "db", "landfall.dev/adopted": "true" });
      await p.setPower(vmA.uuid, "stop");
      await p.setPower(vmA.uuid, "stop"); // idempotent
      const stopped = await p.getVM({ name: vmA.name });
      assert.equal(stopped?.state, "shutoff");
      assert.equal(stopped?.uuid, vmA.uuid);
      assert.deepEqual(stopped?.labels, { tier: "db", "landfall.dev/adopted": "true" }, "labels persist in the config");
      await p.setLabels(vmA.uuid, { tier: null });
      assert.deepEqual((await p.getVM({ uuid: vmA.uuid }))?.labels, { "landfall.dev/adopted": "true" });
    });

    test("concurrent setLabels on one VM each take effect (an unadopt and a controller's release race like this)", async () => {
      await Promise.all([p.setLabels(vmA.uuid, { "landfall.dev/adopted": null, one: "1" }), p.setLabels(vmA.uuid, { two: "2" }), p.setLabels(vmA.uuid, { three: "3" })]);
      assert.deepEqual((await p.getVM({ uuid: vmA.uuid }))?.labels, { one: "1", two: "2", three: "3" });
      await p.setLabels(vmA.uuid, { one: null, two: null, three: null, "landfall.dev/adopted": "true" });
    });

    test("createOverlay boots from the overlay and never writes the base", async () => {
      const baseBefore = await f.fileSha256(diskB);
      const overlay = await p.createOverlay({ diskID: `${f.namePrefix}-overlay`, backingPath: diskB, backingFormat: "raw" });
      assert.equal(overlay.format, "qcow2");
      assert.equal(overlay.virtualSizeBytes, 8 * MiB);
      assert.equal(await f.guestSha256(overlay.path, "qcow2"), sourceBHash);
      const vm = await p.createVM(spec("overlay", overlay.path, "qcow2", { uuid: "5a1e7c0d-6c66-4b1d-8f00-000000000001" }));
      assert.equal(vm.uuid, "5a1e7c0d-6c66-4b1d-8f00-000000000001", "a given uuid is kept");
      await p.setPower(vm.uuid, "start");
      await f.waitForMarker((await p.getVM({ uuid: vm.uuid }))!, markerB, BOOT_TIMEOUT_MS);
      await p.setPower(vm.uuid, "stop");
      assert.equal(await f.fileSha256(diskB), baseBefore, "base image changed");
    });

    test("listVMs contains every created VM with its labels", async () => {
      const vms = await p.listVMs();
      const a = vms.find((vm) => vm.uuid === vmA.uuid);
      assert.ok(a, `listVMs lacks ${vmA.name}`);
      assert.deepEqual(a.labels, { "landfall.dev/adopted": "true" });
      assert.ok(vms.some((vm) => vm.name === `${f.namePrefix}-overlay`));
    });

    test("countVMs counts what listVMs lists, and the running ones", async () => {
      await p.setPower(vmA.uuid, "start");
      // Others' VMs on a shared host may come and go between the two calls: both sides are read twice, each
      // count must fall between the listings taken before and after it.
      const before = await p.listVMs();
      const counted = await p.countVMs();
      const after = await p.listVMs();
      const within = (n: number, a: number, b: number) => n >= Math.min(a, b) && n <= Math.max(a, b);
      const running = (vms: TargetVM[]) => vms.filter((vm) => vm.state === "running").length;
      assert.ok(within(counted.vms, before.length, after.length), `countVMs ${counted.vms}, listVMs ${before.length} then ${after.length}`);
      assert.ok(within(counted.running, running(before), running(after)), `running ${counted.running}, listVMs ${running(before)} then ${running(after)}`);
      assert.ok(counted.running >= 1, "the started VM is counted as running");
      await p.setPower(vmA.uuid, "stop");
    });

    // Defined, not booted: OVMF needs a guest that boots under UEFI (test/e2e/real-guest-uefi.test.ts boots
    // one). undefine still needs the NVRAM handled.
    test("uefi VMs are defined with UEFI firmware and deleted with their NVRAM", async () => {
      const vm = await p.createVM(spec("uefi", diskA, "qcow2", { firmware: "uefi", nics: [] }));
      assert.equal(vm.firmware, "uefi");
      assert.equal(vm.state, "shutoff");
      await p.deleteVM(vm.uuid, { keepDisks: true });
      assert.equal(await p.getVM({ uuid: vm.uuid }), undefined);
    });

    test("deleteVM keepDisks:true keeps the disk, keepDisks:false removes it; a second delete is a no-op", async () => {
      await p.setPower(vmA.uuid, "start");
      await p.deleteVM(vmA.uuid, { keepDisks: true });
      assert.equal(await p.getVM({ uuid: vmA.uuid }), undefined);
      assert.equal(await f.fileExists(diskA), true, "keepDisks:true removed the disk");

      const overlayVM = await p.getVM({ name: `${f.namePrefix}-overlay` });
      assert.ok(overlayVM);
      const overlayDisk = overlayVM.disks[0].path;
      await p.deleteVM(overlayVM.uuid, { keepDisks: false });
      assert.equal(await f.fileExists(overlayDisk), false, "keepDisks:false left the disk");
      assert.equal(await f.fileExists(diskB), true, "the overlay's base is not the VM's disk");
      await p.deleteVM(overlayVM.uuid, { keepDisks: false });
    });

    test("deleteDisk refuses paths outside the storage and removes volumes inside it", async () => {
      await rejectsWithCode(p.deleteDisk(sourceA), "OutsideStorage");
      await rejectsWithCode(p.deleteDisk(`${poolPath}/../escape.raw`), "OutsideStorage");
      assert.equal(await f.fileExists(sourceA), true);
      await p.deleteDisk(diskA);
      await p.deleteDisk(diskB);
      assert.equal(await f.fileExists(diskA), false);
      assert.equal(await f.fileExists(diskB), false);
    });
  });
}
