// VMMigration end to end against real components: govmomi's vCenter simulator, a real `bin/landfall serve`,
// real libvirtd + QEMU and qemu-img. Every disk's sha256 is proven at both ends, the guest boots from the migrated
// disk, damage between source and target is caught, and a killed server resumes from its checkpoint.
// The damage is injected by the test-only composition (test/harness/faulty-serve.ts), never by the product.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, open, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { VirtualMachine } from "../../src/api/virtualmachine.ts";
import type { VMMigration } from "../../src/api/vmmigration.ts";
import { type ServeProcess, startServeProcess } from "../../src/compose/serve-process.ts";
import { waitForConsole, writeBootDisk } from "../harness/bootdisk.ts";
import { startFaultyServer } from "../harness/faulty-server.ts";
import { api, applyYaml, resourcePath, waitFor } from "../harness/landfall.ts";
import { createTempLibvirt, domainUUID, guestBytesSha256, sha256File, type TempLibvirt, virsh } from "../harness/libvirt.ts";
import { applySourceAndTarget } from "../harness/providers.ts";
import { createVsphereSource } from "../../src/providers/vsphere/source-provider.ts";
import { datastoreBytesServed, misreportAllocation, startVcsim, type Vcsim, writeRandomContent } from "../harness/vcsim/harness.ts";

const MiB = 1 << 20;
const MARKER = "landfall e2e: web01 booted";
let vc: Vcsim;
let lv: TempLibvirt;
let srv: ServeProcess;
let dataDir: string;
let ns: string;
const sums: Record<string, string[]> = {};
const env = { LANDFALL_LOG_FORMAT: "text" };

async function content(name: string, i: number, sizeBytes: number, boot = false): Promise<{ contentPath: string; capacityBytes: number }> {
  const path = join(lv.scratchDir, `${name}-${i}.raw`);
  if (boot) await writeBootDisk(path, { sizeBytes, marker: MARKER, fill: "random" });
  else await writeRandomContent(path, sizeBytes);
  sums[name] ??= [];
  sums[name][i] = await sha256File(path);
  return { contentPath: path, capacityBytes: sizeBytes };
}

/** A thin disk of `sizeBytes` holding random bytes in `areas` and holes elsewhere. */
async function sparseContent(name: string, sizeBytes: number, areas: Array<{ start: number; length: number }>): Promise<{ contentPath: string; capacityBytes: number; thin: true }> {
  const path = join(lv.scratchDir, `${name}-0.raw`);
  const f = await open(path, "w");
  try {
    for (const a of areas) await f.write(randomBytes(a.length), 0, a.length, a.start);
    await f.truncate(sizeBytes);
  } finally {
    await f.close();
  }
  sums[name] = [await sha256File(path)];
  return { contentPath: path, capacityBytes: sizeBytes, thin: true };
}

const migration = async (name: string) => (await api<VMMigration>(srv, resourcePath(ns, "vmmigrations", name))).body;
const finished = (name: string, timeoutMs = 120_000) =>
  waitFor(`VMMigration ${name} to finish`, timeoutMs, async () => {
    const m = await migration(name);
    return m.status?.phase === "Succeeded" || m.status?.phase === "Failed" ? m : undefined;
  });

function migrationYaml(name: string, vmName: string, extra = ""): string {
  return `apiVersion: landfall.dev/v1beta1
kind: VMMigration
metadata: {name: ${name}, namespace: ${ns}}
spec:
  source: {providerRef: {name: vcenter}, vmName: ${vmName}}
  target: {providerRef: {name: kvm}, vmName: ${name}, powerOn: true}
  options: {diskFormat: qcow2, verifyChecksums: true${extra}}
`;
}

async function poolFiles(prefix: string): Promise<string[]> {
  return (await readdir(lv.poolPath).catch(() => [] as string[])).filter((f) => f.startsWith(prefix));
}

before(async () => {
  lv = await createTempLibvirt("mig");
  ns = lv.prefix;
  const vms = [
    { name: "web01", uuid: randomUUID(), cpus: 2, memoryMiB: 64, powerOn: true, disks: [await content("web01", 0, 8 * MiB, true), await content("web01", 1, 6 * MiB)], nics: [{ network: "VM Network", mac: "00:50:56:ab:cd:01", model: "vmxnet3" as const }] },
    { name: "db01", uuid: randomUUID(), cpus: 1, memoryMiB: 64, powerOn: true, disks: [await content("db01", 0, 4 * MiB)] },
    { name: "db02", uuid: randomUUID(), cpus: 1, memoryMiB: 64, powerOn: false, disks: [await content("db02", 0, 4 * MiB)] },
    { name: "app01", uuid: randomUUID(), cpus: 1, memoryMiB: 64, powerOn: false, disks: [await content("app01", 0, 40 * MiB)] },
    { name: "cancel01", uuid: randomUUID(), cpus: 1, memoryMiB: 64, powerOn: true, disks: [await content("cancel01", 0, 40 * MiB)] },
    { name: "xns01", uuid: randomUUID(), cpus: 1, memoryMiB: 64, powerOn: false, disks: [await content("xns01", 0, 4 * MiB, true)] },
    ...["thin01", "thin02", "thin03"].map((name) => ({ name, uuid: randomUUID(), cpus: 1, memoryMiB: 64, powerOn: true, disks: [] as Array<{ contentPath: string; capacityBytes: number; thin: true }> })),
  ];
  // 3 MiB of data on a 32 MiB thin disk: 1 MiB at the start, 2 MiB at 20 MiB.
  for (const vm of vms.slice(-3)) vm.disks.push(await sparseContent(vm.name, 32 * MiB, [{ start: 0, length: MiB }, { start: 20 * MiB, length: 2 * MiB }]));
  vc = await startVcsim({ vms });
  // Changed block tracking on, as an operator (or a backup product) turned it on: the source can then say what a snapshot's disks hold.
  const vsphere = createVsphereSource({ endpoint: vc.url, username: vc.username, password: vc.password, tls: { insecureSkipVerify: true } });
  try {
    for (const name of ["thin01", "thin02", "thin03"]) await vsphere.setChangeTracking?.((await vsphere.getVM({ name })).id, true);
  } finally {
    await vsphere.close();
  }
  dataDir = await mkdtemp(join(tmpdir(), "landfall-e2e-mig-"));
  srv = await startFaultyServer(dataDir, [
    { at: "corrupt", vm: "db01" },
    { at: "damageBeforeImport", vm: "db02" },
  ]);
  await applySourceAndTarget(srv, ns, vc, lv);
});

after(async () => {
  await srv?.stop();
  await vc?.stop();
  await lv?.cleanup();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  if (dataDir) await rm(`${dataDir}.fault.json`, { force: true });
});

test("a 2-disk VM migrates: every phase entered, per-disk sha256 equal at both ends, the guest boots, provenance recorded", async () => {
  await applyYaml(srv, migrationYaml("web01", "web01"));
  const m = await finished("web01");
  assert.equal(m.status?.phase, "Succeeded", m.status?.message);
  assert.deepEqual(
    m.status?.phaseHistory?.map((p) => p.phase),
    ["Validating", "Exporting", "Transferring", "Converting", "Importing", "Creating", "Succeeded"],
  );
  const disks = m.status?.disks ?? [];
  assert.equal(disks.length, 2, "every disk of the VM is migrated");
  for (const [i, d] of disks.entries()) {
    assert.equal(d.sha256, `sha256:${sums.web01[i]}`, `disk ${i}: source hash`);
    assert.equal(d.targetSha256, d.sha256, `disk ${i}: target hash`);
    assert.equal(d.targetFormat, "qcow2");
    assert.equal(d.bytesDone, d.sizeBytes);
    assert.equal(d.allocatedBytes, undefined, `disk ${i}: change tracking is off, so every byte is read`);
    assert.equal(await guestBytesSha256(d.targetPath as string, "qcow2"), sums.web01[i], `disk ${i}: guest bytes of ${d.targetPath}`);
  }

  const vm = (await api<VirtualMachine>(srv, resourcePath(ns, "virtualmachines", "web01"))).body;
  assert.deepEqual(vm.spec.importedDisk, { diskID: disks[0].diskID, path: disks[0].targetPath, format: "qcow2", source: "migration", migrationRef: { name: "web01" } });
  assert.equal(vm.spec.imageRef, undefined);
  assert.deepEqual(vm.spec.dataDisks, [{ diskID: disks[1].diskID, path: disks[1].targetPath, format: "qcow2" }]);
  assert.equal(vm.metadata.annotations?.["landfall.dev/migrated-from"], "vsphere/vcenter/web01");
  assert.equal(vm.metadata.annotations?.["landfall.dev/migration"], "web01");
  assert.equal(vm.metadata.annotations?.["landfall.dev/imported-disk-id"], disks[0].diskID);
  assert.equal(vm.metadata.annotations?.["landfall.dev/disk-checksum"], `sha256:${sums.web01[0]}`);
  assert.equal(vm.metadata.ownerReferences, undefined, "no ownerReference: deleting the migration never deletes the VM");
  assert.equal(vm.status?.importID, disks[0].diskID);
  assert.equal(vm.status?.diskInfo?.targetFormat, "qcow2");
  assert.equal(vm.status?.diskInfo?.targetChecksum, `sha256:${sums.web01[0]}`);
  assert.equal(vm.spec.cpus, 2);
  assert.equal(vm.spec.networks?.[0].macAddress, "00:50:56:ab:cd:01", "MAC preserved");
  assert.equal(vm.status?.providerID, await domainUUID(`${ns}--web01`));
  assert.equal(m.status?.targetVMRef?.name, "web01");

  await waitForConsole(vm.status?.consoleLog as string, MARKER, 60_000);

  const inv = await api<{ items: Array<{ name: string; powerState: string }> }>(srv, `${resourcePath(ns, "providers", "vcenter")}/vms`);
  assert.equal(inv.body.items.find((v) => v.name === "web01")?.powerState, "poweredOff", "after a cold migration the source stays off");

  // Deleting the migration leaves the VM, its domain and its disks.
  assert.equal((await api(srv, resourcePath(ns, "vmmigrations", "web01"), { method: "DELETE" })).status, 200);
  await waitFor("the migration to be gone", 20_000, async () => ((await api(srv, resourcePath(ns, "vmmigrations", "web01"))).status === 404 ? true : undefined));
  assert.equal((await api(srv, resourcePath(ns, "virtualmachines", "web01"))).status, 200);
  assert.equal(await domainUUID(`${ns}--web01`), vm.status?.providerID);
  assert.equal((await poolFiles("web01-disk")).length, 2);
});

test("damage after the source hash is taken fails the migration with both hashes; partial volumes go, the source is restored", async () => {
  const datastoreFile = join(vc.datastoreDir, "db01", "db01_0-flat.vmdk");
  const before = await sha256File(datastoreFile);
  await applyYaml(srv, migrationYaml("db01", "db01"));
  const m = await finished("db01");
  assert.equal(m.status?.phase, "Failed");
  const ready = m.status?.conditions?.find((c) => c.type === "Ready");
  assert.equal(ready?.reason, "ChecksumMismatch");
  const hashes: string[] = m.status?.message?.match(/sha256:[0-9a-f]{64}/g) ?? [];
  assert.equal(new Set(hashes).size, 2, `both hashes in the message: ${m.status?.message}`);
  assert.ok(hashes.includes(`sha256:${sums.db01[0]}`), "the source hash is the content's");
  assert.deepEqual(await poolFiles("db01"), [], "partial target volumes are removed");
  const staging = await readdir(join(lv.poolPath, ".landfall-staging")).catch(() => [] as string[]);
  assert.equal(staging.length, 0, "staging removed");
  assert.equal((await api(srv, resourcePath(ns, "virtualmachines", "db01"))).status, 404, "no VirtualMachine was created");
  const inv = await api<{ items: Array<{ name: string; powerState: string }> }>(srv, `${resourcePath(ns, "providers", "vcenter")}/vms`);
  assert.equal(inv.body.items.find((v) => v.name === "db01")?.powerState, "poweredOn", "the source is powered on again");
  assert.equal(await sha256File(datastoreFile), before, "the source disk is untouched");
});

test("an image written after Converting read it back is read back again at Importing: the damage fails the migration with both hashes", async () => {
  await applyYaml(srv, migrationYaml("db02", "db02"));
  const m = await finished("db02");
  assert.equal(m.status?.phase, "Failed");
  assert.equal(m.status?.conditions?.find((c) => c.type === "Ready")?.reason, "ChecksumMismatch");
  assert.ok(m.status?.phaseHistory?.some((p) => p.phase === "Importing"), "Converting's read-back passed: the damage came after it");
  const hashes: string[] = m.status?.message?.match(/sha256:[0-9a-f]{64}/g) ?? [];
  assert.equal(new Set(hashes).size, 2, `both hashes in the message: ${m.status?.message}`);
  assert.ok(hashes.includes(`sha256:${sums.db02[0]}`), "the source hash is the content's");
  assert.match(srv.output(), /migration \S+\/db02: disk .*: converted and read back in/);
  assert.deepEqual(await poolFiles("db02"), [], "partial target volumes are removed");
  assert.equal((await api(srv, resourcePath(ns, "virtualmachines", "db02"))).status, 404, "no VirtualMachine was created");
});

test("kill -9 of the server mid-transfer: the restarted server resumes from the checkpoint with the same checksums", async () => {
  await applyYaml(srv, migrationYaml("app01", "app01", ", bandwidthMiBps: 8"));
  const mid = await waitFor("a checkpoint", 60_000, async () => {
    const m = await migration("app01");
    const d = m.status?.disks?.[0];
    return d?.checkpoint && d.checkpoint.offset > 0 && d.bytesDone < d.sizeBytes ? d : undefined;
  }, 100);
  srv.child.kill("SIGKILL");
  await new Promise((r) => srv.child.once("exit", r));
  srv = await startServeProcess({ dataDir, env });
  const m = await finished("app01");
  assert.equal(m.status?.phase, "Succeeded", m.status?.message);
  assert.match(srv.output(), /resuming app01-disk0-\w+ at \d+/, "the new server resumed the transfer instead of starting over");
  assert.match(srv.output(), /resumed: [1-9]\d* chunks verified against their source digests, 0 read again from the source/);
  assert.ok(mid.checkpoint && mid.checkpoint.offset > 0);
  const d = m.status?.disks?.[0];
  assert.equal(d?.sha256, `sha256:${sums.app01[0]}`);
  assert.equal(d?.targetSha256, d?.sha256);
  assert.equal(await guestBytesSha256(d?.targetPath as string, "qcow2"), sums.app01[0]);
  const domains = (await virsh(["list", "--all", "--name"])).split("\n").filter((n) => n.trim() === `${ns}--app01`);
  assert.equal(domains.length, 1, "exactly one domain");
  assert.deepEqual(await poolFiles("app01"), [`${d?.diskID}.qcow2`], "exactly one volume");
});

test("a VM that does not exist fails validation with SourceVMNotFound; a taken target name fails with TargetExists", async () => {
  await applyYaml(srv, migrationYaml("ghost", "no-such-vm"));
  const ghost = await finished("ghost", 60_000);
  assert.equal(ghost.status?.phase, "Failed");
  assert.equal(ghost.status?.conditions?.find((c) => c.type === "Ready")?.reason, "SourceVMNotFound");
  assert.match(ghost.status?.message ?? "", /no-such-vm/);

  await applyYaml(srv, migrationYaml("web01-again", "web01").replace("vmName: web01-again, powerOn", "vmName: web01, powerOn"));
  const again = await finished("web01-again", 60_000);
  assert.equal(again.status?.phase, "Failed");
  assert.equal(again.status?.conditions?.find((c) => c.type === "Ready")?.reason, "TargetExists");
  assert.equal(again.status?.phaseHistory?.some((p) => p.phase === "Exporting"), false, "nothing was exported");
});

test("snapshot mode copies a running VM from a snapshot and leaves it running", async () => {
  await applyYaml(srv, migrationYaml("db01-snap", "db01", ", mode: snapshot, verifySource: reread").replace("powerOn: true", "powerOn: false"));
  const m = await finished("db01-snap");
  assert.equal(m.status?.phase, "Succeeded", m.status?.message);
  assert.equal(m.status?.disks?.[0].sha256, `sha256:${sums.db01[0]}`);
  assert.equal(m.status?.source?.poweredOffByMigration, false);
  const inv = await api<{ items: Array<{ name: string; powerState: string }> }>(srv, `${resourcePath(ns, "providers", "vcenter")}/vms`);
  assert.equal(inv.body.items.find((v) => v.name === "db01")?.powerState, "poweredOn");
  // powerOn: false — the VirtualMachine is defined and left off.
  const vm = await waitFor("db01-snap to settle Stopped", 30_000, async () => {
    const v = (await api<VirtualMachine>(srv, resourcePath(ns, "virtualmachines", "db01-snap"))).body;
    return v.status?.phase === "Stopped" ? v : undefined;
  });
  assert.equal(vm.spec.powerState, "Off");
  assert.match(await virsh(["domstate", `${ns}--db01-snap`]), /shut off/);
});

test("from a snapshot of a VM that tracks changes, only the areas the source reports allocated are read; the sha256 still covers every byte", async () => {
  const before = await datastoreBytesServed(vc, "/thin01/thin01_0-flat.vmdk");
  await applyYaml(srv, migrationYaml("thin01", "thin01", ", mode: snapshot").replace("powerOn: true", "powerOn: false"));
  const m = await finished("thin01");
  assert.equal(m.status?.phase, "Succeeded", m.status?.message);
  const d = m.status?.disks?.[0];
  assert.equal(d?.sha256, `sha256:${sums.thin01[0]}`, "the sha256 of all 32 MiB, holes included");
  assert.equal(d?.allocatedBytes, 3 * MiB, "status shows what the source reported allocated");
  assert.equal(d?.targetSha256, d?.sha256);
  assert.equal(await guestBytesSha256(d?.targetPath as string, "qcow2"), sums.thin01[0]);
  assert.match(srv.output(), /reports 3145728 of 33554432 bytes allocated; only those are read/);
  const served = (await datastoreBytesServed(vc, "/thin01/thin01_0-flat.vmdk")) - before;
  assert.equal(served, 3 * MiB, "the datastore sent the 3 MiB of data, not the 32 MiB disk");
});

test("cold, a powered-off VM that tracks changes is asked what its disk holds as it stands: only that is read, no snapshot taken", async () => {
  const before = await datastoreBytesServed(vc, "/thin03/thin03_0-flat.vmdk");
  await applyYaml(srv, migrationYaml("thin03", "thin03").replace("powerOn: true", "powerOn: false"));
  const m = await finished("thin03");
  assert.equal(m.status?.phase, "Succeeded", m.status?.message);
  assert.equal(m.status?.source?.poweredOffByMigration, true, "cold mode powered the VM off first");
  assert.equal(m.status?.source?.snapshotName, undefined, "no snapshot");
  const d = m.status?.disks?.[0];
  assert.equal(d?.sha256, `sha256:${sums.thin03[0]}`, "the sha256 of all 32 MiB, holes included");
  assert.equal(d?.allocatedBytes, 3 * MiB);
  assert.equal(await guestBytesSha256(d?.targetPath as string, "qcow2"), sums.thin03[0]);
  const served = (await datastoreBytesServed(vc, "/thin03/thin03_0-flat.vmdk")) - before;
  assert.equal(served, 3 * MiB, "the datastore sent the 3 MiB of data, not the 32 MiB disk");
});

test("a source that misreports what is allocated is caught by verifySource: reread (every byte read again)", async () => {
  await misreportAllocation(vc, "thin02");
  await applyYaml(srv, migrationYaml("thin02", "thin02", ", mode: snapshot, verifySource: reread").replace("powerOn: true", "powerOn: false"));
  const m = await finished("thin02");
  assert.equal(m.status?.phase, "Failed");
  assert.equal(m.status?.conditions?.find((c) => c.type === "Ready")?.reason, "ChecksumMismatch");
  assert.match(m.status?.message ?? "", new RegExp(`re-reading the source gave sha256:${sums.thin02[0]}, the transfer read sha256:`));
  assert.equal((await api(srv, resourcePath(ns, "virtualmachines", "thin02"))).status, 404, "no VirtualMachine was created");
});

test("deleting a migration mid-transfer cancels it, removes its partial volumes and powers the source back on", async () => {
  await applyYaml(srv, migrationYaml("cancel01", "cancel01", ", bandwidthMiBps: 4"));
  const m = await waitFor("cancel01 to be transferring", 60_000, async () => {
    const x = await migration("cancel01");
    return x.status?.phase === "Transferring" && (x.status.disks?.[0]?.bytesDone ?? 0) > 0 ? x : undefined;
  }, 100);
  assert.equal(m.status?.source?.poweredOffByMigration, true);
  assert.equal((await api(srv, resourcePath(ns, "vmmigrations", "cancel01"), { method: "DELETE" })).status, 200);
  await waitFor("cancel01 to be gone", 30_000, async () => ((await api(srv, resourcePath(ns, "vmmigrations", "cancel01"))).status === 404 ? true : undefined));
  assert.deepEqual(await poolFiles("cancel01"), []);
  const staging = await readdir(join(lv.poolPath, ".landfall-staging")).catch(() => [] as string[]);
  assert.ok(!staging.includes(m.metadata.uid as string), "its staging directory is removed");
  assert.equal((await api(srv, resourcePath(ns, "virtualmachines", "cancel01"))).status, 404);
  const inv = await api<{ items: Array<{ name: string; powerState: string }> }>(srv, `${resourcePath(ns, "providers", "vcenter")}/vms`);
  assert.equal(inv.body.items.find((v) => v.name === "cancel01")?.powerState, "poweredOn", "the source runs again");
});

test("a migration into another namespace creates a VirtualMachine there that names the Provider's namespace, and it boots", async () => {
  const other = `${ns}-b`;
  await applyYaml(
    srv,
    `apiVersion: landfall.dev/v1beta1
kind: VMMigration
metadata: {name: xns01, namespace: ${ns}}
spec:
  source: {providerRef: {name: vcenter}, vmName: xns01}
  target: {providerRef: {name: kvm}, namespace: ${other}, vmName: xns01, powerOn: true}
  options: {diskFormat: qcow2}
`,
  );
  const m = await finished("xns01");
  assert.equal(m.status?.phase, "Succeeded", m.status?.message);
  assert.deepEqual(m.status?.targetVMRef, { name: "xns01", namespace: other });
  const vm = (await api<VirtualMachine>(srv, resourcePath(other, "virtualmachines", "xns01"))).body;
  assert.deepEqual(vm.spec.providerRef, { name: "kvm", namespace: ns }, "the Provider that serves it, in its own namespace");
  assert.equal(vm.status?.providerID, await domainUUID(`${other}--xns01`));
  assert.equal(await guestBytesSha256(m.status?.disks?.[0].targetPath as string, "qcow2"), sums.xns01[0]);
  await waitForConsole(vm.status?.consoleLog as string, MARKER, 60_000);
});
