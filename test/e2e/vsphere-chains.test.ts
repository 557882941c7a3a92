// vSphere as it really is, end to end: the vcsim harness switches disks to delta files on snapshot, serves
// an NFC export lease, and keeps hosted sparse and streamOptimized disks; a real `bin/landfall serve`
// migrates from it into real libvirt storage. Expected hashes are computed by the test itself from the
// bytes it wrote (and, for a chain, also by qemu-img from the layer files), never by the code under test.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import type { VMMigration } from "../../src/api/vmmigration.ts";
import type { SourceVM } from "../../src/providers/contract.ts";
import { type ServeProcess, startServeProcess } from "../../src/compose/serve-process.ts";
import { retrieveOne } from "../../src/providers/vsphere/property-collector.ts";
import { VsphereClient } from "../../src/providers/vsphere/soap-client.ts";
import { asArray, moRef, text, type XmlNode } from "../../src/providers/vsphere/soap-xml.ts";
import { runTask } from "../../src/providers/vsphere/tasks.ts";
import { createVsphereSource } from "../../src/providers/vsphere/source-provider.ts";
import { api, applyYaml, landfall, resourcePath, waitFor } from "../harness/landfall.ts";
import { createTempLibvirt, guestBytesSha256, type TempLibvirt } from "../harness/libvirt.ts";
import { applySourceAndTarget, vsphereProviderYaml } from "../harness/providers.ts";
import { guestWrite, nfcLeases, setNfcFault, startVcsim, takeSnapshot, type Vcsim, writeRandomContent } from "../harness/vcsim/harness.ts";

const run = promisify(execFile);
const MiB = 1 << 20;
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
let vc: Vcsim;
let lv: TempLibvirt;
let srv: ServeProcess;
let dataDir: string;
let ns: string;
const contents: Record<string, Buffer> = {};

async function content(name: string, sizeBytes: number): Promise<{ contentPath: string }> {
  const path = join(lv.scratchDir, `${name}.raw`);
  await writeRandomContent(path, sizeBytes);
  contents[name] = await readFile(path);
  return { contentPath: path };
}

const migration = async (name: string) => (await api<VMMigration>(srv, resourcePath(ns, "vmmigrations", name))).body;
const finished = (name: string, timeoutMs = 120_000) =>
  waitFor(`VMMigration ${name} to finish`, timeoutMs, async () => {
    const m = await migration(name);
    return m.status?.phase === "Succeeded" || m.status?.phase === "Failed" ? m : undefined;
  });

function migrationYaml(name: string, vmName: string, options = "", provider = "vcenter"): string {
  return `apiVersion: landfall.dev/v1beta1
kind: VMMigration
metadata: {name: ${name}, namespace: ${ns}}
spec:
  source: {providerRef: {name: ${provider}}, vmName: ${vmName}}
  target: {providerRef: {name: kvm}, vmName: ${name}, powerOn: false}
  options: {diskFormat: qcow2, verifyChecksums: true${options}}
`;
}

/** A direct provider on the simulator, for what the test checks outside landfall (the VM's current disk). */
const provider = () => createVsphereSource({ endpoint: vc.url, username: vc.username, password: vc.password, tls: { thumbprint: vc.thumbprint } });

async function sourceVM(vmName: string): Promise<SourceVM> {
  const p = provider();
  try {
    return await p.getVM({ name: vmName });
  } finally {
    await p.close();
  }
}

const keyOf = async (vmName: string) => (await sourceVM(vmName)).disks[0].key;

before(async () => {
  lv = await createTempLibvirt("vchain");
  ns = lv.prefix;
  const vms = [
    // Hosted sparse deltas here (consolidated by qemu-img commit); chain01 has ESXi's vmfsSparse ones.
    { name: "live01", uuid: randomUUID(), powerOn: true, deltaFormat: "monolithicSparse" as const, disks: [await content("live01", 3 * MiB)] },
    { name: "chain01", uuid: randomUUID(), powerOn: false, disks: [await content("chain01", 2 * MiB)] },
    {
      name: "sparse01",
      uuid: randomUUID(),
      powerOn: false,
      disks: [{ ...(await content("sparse01-0", 2 * MiB)), format: "streamOptimized" as const }, { ...(await content("sparse01-1", 1 * MiB)), format: "monolithicSparse" as const }],
    },
    { name: "nfc01", uuid: randomUUID(), powerOn: true, disks: [await content("nfc01-0", 2 * MiB), { ...(await content("nfc01-1", 1 * MiB)), thin: true }] },
    { name: "nfc02", uuid: randomUUID(), powerOn: false, disks: [await content("nfc02", 2 * MiB)] },
    { name: "nfc03", uuid: randomUUID(), powerOn: false, disks: [await content("nfc03", 1 * MiB)] },
    { name: "livenfc01", uuid: randomUUID(), powerOn: true, disks: [await content("livenfc01", 2 * MiB)] },
    { name: "mixed01", uuid: randomUUID(), powerOn: false, disks: [await content("mixed01-0", 1 * MiB), { ...(await content("mixed01-1", 1 * MiB)), format: "rdm" as const }] },
    { name: "rdm01", uuid: randomUUID(), powerOn: false, disks: [{ ...(await content("rdm01", 1 * MiB)), format: "rdm" as const }] },
  ];
  // A short lease timeout: an export that stops reporting progress loses its lease within seconds.
  vc = await startVcsim({ vms, nfcLeaseTimeoutSeconds: 4 });
  dataDir = await mkdtemp(join(tmpdir(), "landfall-e2e-vchain-"));
  srv = await startServeProcess({ dataDir, env: { LANDFALL_LOG_FORMAT: "text" } });
  const more = ["nfc", "auto"].map((transport) => vsphereProviderYaml(ns, vc, { name: `vcenter-${transport}`, tls: "thumbprint", transport }));
  await applySourceAndTarget(srv, ns, vc, lv, { tls: "thumbprint", more });
});

after(async () => {
  await srv?.stop();
  await vc?.stop();
  await lv?.cleanup();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test("snapshot mode on a running VM copies the snapshot, not what the guest writes afterwards; the snapshot is consolidated and the VM keeps running", async () => {
  const key = await keyOf("live01");
  const offset = 2 * MiB + 512 * 1024;
  const later = randomBytes(256 * 1024);
  await applyYaml(srv, migrationYaml("live01", "live01", ", mode: snapshot, verifySource: reread, bandwidthMiBps: 1"));
  const snapped = await waitFor("live01's export snapshot", 60_000, async () => {
    const m = await migration("live01");
    return m.status?.source?.snapshotID ? m : undefined;
  }, 50);
  // The guest writes new data into its live disk while the snapshot is being copied…
  await guestWrite(vc, "live01", key, offset, later);
  const during = await migration("live01");
  assert.ok((during.status?.disks?.[0]?.bytesDone ?? 0) < offset, "the write landed before the copy reached that range");
  const m = await finished("live01");
  assert.equal(m.status?.phase, "Succeeded", m.status?.message);
  const d = m.status?.disks?.[0];
  // …and the migrated disk is the snapshot-time contents, read from the file the snapshot froze.
  assert.equal(d?.sha256, `sha256:${sha(contents.live01)}`);
  assert.equal(await guestBytesSha256(d?.targetPath as string, "qcow2"), sha(contents.live01));
  assert.equal(d?.transport, "datastore");
  assert.deepEqual(d?.chain?.map((l) => l.file), ["[LocalDS_0] live01/live01_0.vmdk", "[LocalDS_0] live01/live01_0-flat.vmdk"]);
  assert.ok(snapped.status?.source?.snapshotID);

  // The snapshot is gone, the delta was consolidated into the base, and the guest's write survived it.
  const admin = new VsphereClient({ endpoint: vc.url, tls: { thumbprint: vc.thumbprint } });
  await admin.login(vc.username, vc.password);
  try {
    const props = await retrieveOne(admin, moRef("VirtualMachine", m.status?.source?.vmID as string), ["snapshot", "runtime.powerState"]);
    assert.equal(props.snapshot, undefined, "no snapshot is left");
    assert.equal(text(props["runtime.powerState"]), "poweredOn");
  } finally {
    await admin.close();
  }
  const now = Buffer.from(contents.live01);
  later.copy(now, offset);
  const p = provider();
  try {
    const vm = await p.getVM({ name: "live01" });
    assert.equal(vm.disks[0].fileName, "[LocalDS_0] live01/live01_0.vmdk", "the VM writes to its base disk again");
    const reader = await p.openDisk({ vmID: vm.id, mode: "cold", powerStateBefore: "poweredOn", poweredOffByExport: false, disks: vm.disks }, vm.disks[0]);
    const h = createHash("sha256");
    for await (const c of reader.readRange(0, reader.sizeBytes)) h.update(c);
    await reader.close();
    assert.equal(h.digest("hex"), sha(now));
  } finally {
    await p.close();
  }
});

test("a VM with two snapshots migrates its current state: base + both deltas, composed in order", async () => {
  const key = await keyOf("chain01");
  const first = randomBytes(300 * 1024);
  const second = randomBytes(200 * 1024);
  const snapshots = [await takeSnapshot(vc, "chain01", "before-upgrade")];
  await guestWrite(vc, "chain01", key, 100 * 1024, first);
  snapshots.push(await takeSnapshot(vc, "chain01", "after-upgrade"));
  // Overlaps the first write: the newer delta must win.
  await guestWrite(vc, "chain01", key, 300 * 1024, second);
  const expected = Buffer.from(contents.chain01);
  first.copy(expected, 100 * 1024);
  second.copy(expected, 300 * 1024);
  // Independently of landfall, qemu-img composes the same chain from the layer files.
  const top = join(vc.datastoreDir, "chain01", "chain01_0-000002.vmdk");
  const composed = join(lv.scratchDir, "chain01-composed.raw");
  await run("qemu-img", ["convert", "-f", "vmdk", "-O", "raw", top, composed]);
  assert.equal(sha(await readFile(composed)), sha(expected));

  // layoutEx reports the chain as ESXi does: base first, each unit its descriptor and extent.
  const layoutClient = new VsphereClient({ endpoint: vc.url, tls: { thumbprint: vc.thumbprint } });
  await layoutClient.login(vc.username, vc.password);
  try {
    const vmID = (await sourceVM("chain01")).id;
    const layout = (await retrieveOne(layoutClient, moRef("VirtualMachine", vmID), ["layoutEx"])).layoutEx;
    const names = new Map(asArray(layout.file).map((f: XmlNode) => [text(f.key), text(f.name)]));
    const disk = asArray(layout.disk).find((d: XmlNode) => Number(text(d.key)) === key);
    assert.deepEqual(
      asArray(disk?.chain).map((u: XmlNode) => asArray(u.fileKey).map((k: XmlNode) => names.get(text(k)))),
      [
        ["[LocalDS_0] chain01/chain01_0.vmdk", "[LocalDS_0] chain01/chain01_0-flat.vmdk"],
        ["[LocalDS_0] chain01/chain01_0-000001.vmdk", "[LocalDS_0] chain01/chain01_0-000001-delta.vmdk"],
        ["[LocalDS_0] chain01/chain01_0-000002.vmdk", "[LocalDS_0] chain01/chain01_0-000002-delta.vmdk"],
      ],
    );
  } finally {
    await layoutClient.close();
  }

  // The inventory shows the snapshots, each disk's chain and which transports read it.
  const inv = await landfall(srv, ["inventory", "vcenter", "-n", ns, "-o", "json"]);
  assert.equal(inv.code, 0, inv.stderr);
  type Item = { name: string; guestOS: string; snapshotCount: number; disks: Array<{ chain: Array<{ file: string; format: string }>; readableBy: string[] }> };
  const items = (JSON.parse(inv.stdout) as { items: Item[] }).items;
  const chain01 = items.find((v) => v.name === "chain01");
  assert.equal(chain01?.snapshotCount, 2);
  assert.deepEqual(chain01?.disks[0].chain, [
    { file: "[LocalDS_0] chain01/chain01_0-000002.vmdk", format: "redoLog" },
    { file: "[LocalDS_0] chain01/chain01_0-000001.vmdk", format: "redoLog" },
    { file: "[LocalDS_0] chain01/chain01_0.vmdk", format: "flat" },
  ]);
  assert.deepEqual(chain01?.disks[0].readableBy, ["datastore", "nfc"]);
  assert.deepEqual(items.find((v) => v.name === "rdm01")?.disks[0].readableBy, ["nfc"]);
  const table = await landfall(srv, ["inventory", "vcenter", "-n", ns]);
  assert.match(table.stdout, /\nchain01 .* otherGuest64\s+2\s+flat\+2 redoLog\s+datastore\+nfc\s*\n/);

  await applyYaml(srv, migrationYaml("chain01", "chain01", ", bandwidthMiBps: 1"));
  // While the disk is read, its downloaded layers sit in the migration's staging directory (in the target
  // storage, not /tmp); close() removes them.
  const layersDir = await waitFor("the chain's layers in the staging directory", 60_000, async () => {
    const x = await migration("chain01");
    const staging = join(lv.poolPath, ".landfall-staging", String(x.metadata.uid));
    const found = (await readdir(staging).catch(() => [] as string[])).find((f) => f.startsWith("landfall-vsphere-chain-"));
    if (!found) return undefined;
    // The directory appears before the download into it finishes.
    const layers = await readdir(join(staging, found, "layers")).catch(() => [] as string[]);
    return layers.includes("chain01_0-000002-delta.vmdk") ? join(staging, found) : undefined;
  }, 50);
  assert.ok((await readdir(join(layersDir, "layers"))).includes("chain01_0-000002-delta.vmdk"));
  const m = await finished("chain01");
  assert.equal(m.status?.phase, "Succeeded", m.status?.message);
  const d = m.status?.disks?.[0];
  assert.equal(d?.sha256, `sha256:${sha(expected)}`);
  assert.equal(await guestBytesSha256(d?.targetPath as string, "qcow2"), sha(expected));
  assert.deepEqual(
    d?.chain?.map((l) => [l.file, l.format, typeof l.sha256]),
    [
      ["[LocalDS_0] chain01/chain01_0-000002.vmdk", "vmfsSparse", "string"],
      ["[LocalDS_0] chain01/chain01_0-000002-delta.vmdk", "vmfssparse", "string"],
      ["[LocalDS_0] chain01/chain01_0-000001.vmdk", "vmfsSparse", "string"],
      ["[LocalDS_0] chain01/chain01_0-000001-delta.vmdk", "vmfssparse", "string"],
      ["[LocalDS_0] chain01/chain01_0.vmdk", "monolithicFlat", "undefined"],
      ["[LocalDS_0] chain01/chain01_0-flat.vmdk", "flat", "undefined"],
    ],
  );
  const deltaSha = createHash("sha256")
    .update(await readFile(join(vc.datastoreDir, "chain01", "chain01_0-000002-delta.vmdk")))
    .digest("hex");
  assert.equal(d?.chain?.[1].sha256, `sha256:${deltaSha}`, "the downloaded delta's hash is of the file on the datastore");
  assert.equal(await readdir(layersDir).catch(() => "removed"), "removed");

  // Deleting the older snapshot first consolidates its delta into the base under the newer one; the VM's
  // disk keeps its bytes through both removals.
  const admin = new VsphereClient({ endpoint: vc.url, tls: { thumbprint: vc.thumbprint } });
  await admin.login(vc.username, vc.password);
  try {
    for (const [i, snapshot] of snapshots.entries()) {
      await runTask(admin, "RemoveSnapshot_Task", moRef("VirtualMachineSnapshot", snapshot), { removeChildren: false, consolidate: true });
      const p = provider();
      try {
        const vm = await p.getVM({ name: "chain01" });
        assert.equal(vm.snapshotCount, 1 - i);
        assert.equal(vm.disks[0].chain?.length, 2 - i, `chain depth after removing snapshot ${i + 1}`);
        const reader = await p.openDisk({ vmID: vm.id, mode: "cold", powerStateBefore: "poweredOff", poweredOffByExport: false, disks: vm.disks }, vm.disks[0]);
        const h = createHash("sha256");
        for await (const c of reader.readRange(0, reader.sizeBytes)) h.update(c);
        await reader.close();
        assert.equal(h.digest("hex"), sha(expected), `current state after removing snapshot ${i + 1}`);
      } finally {
        await p.close();
      }
    }
  } finally {
    await admin.close();
  }
});

test("streamOptimized and hosted sparse source disks migrate with equal checksums", async () => {
  await applyYaml(srv, migrationYaml("sparse01", "sparse01"));
  const m = await finished("sparse01");
  assert.equal(m.status?.phase, "Succeeded", m.status?.message);
  const disks = m.status?.disks ?? [];
  for (const [i, name] of ["sparse01-0", "sparse01-1"].entries()) {
    assert.equal(disks[i].sha256, `sha256:${sha(contents[name])}`, `${name}: source hash`);
    assert.equal(await guestBytesSha256(disks[i].targetPath as string, "qcow2"), sha(contents[name]), `${name}: target bytes`);
  }
  assert.deepEqual(disks.map((d) => d.chain?.[0].format), ["streamOptimized", "monolithicSparse"]);
});

test("transport nfc migrates a 2-disk VM over an ExportVm lease with equal checksums", async () => {
  await applyYaml(srv, migrationYaml("nfc01", "nfc01", "", "vcenter-nfc"));
  const m = await finished("nfc01");
  assert.equal(m.status?.phase, "Succeeded", m.status?.message);
  const disks = m.status?.disks ?? [];
  assert.equal(disks.length, 2);
  for (const [i, name] of ["nfc01-0", "nfc01-1"].entries()) {
    assert.equal(disks[i].sha256, `sha256:${sha(contents[name])}`, `${name}: source hash`);
    assert.equal(await guestBytesSha256(disks[i].targetPath as string, "qcow2"), sha(contents[name]), `${name}: target bytes`);
    assert.equal(disks[i].transport, "nfc");
    assert.equal(disks[i].chain?.[0].format, "streamOptimized");
  }
  // The export was composed locally: the transfer read the composed file's data extents, not its holes.
  assert.match(srv.output(), /the layers read hold \d+ of \d+ bytes allocated; only those are read/);
});

test("snapshot mode over NFC exports the snapshot (ExportSnapshot) of the running VM, not what the guest writes after it", async () => {
  const key = await keyOf("livenfc01");
  const later = randomBytes(128 * 1024);
  // The export reads the disks 3 s after the export call: time for the guest to write first.
  await setNfcFault(vc, "livenfc01", { initDelayMs: 3000 });
  const before = (await nfcLeases(vc)).length;
  await applyYaml(srv, migrationYaml("livenfc01", "livenfc01", ", mode: snapshot", "vcenter-nfc"));
  await waitFor("livenfc01's export lease", 60_000, async () => ((await nfcLeases(vc)).slice(before).some((l) => l.vm === "livenfc01") ? true : undefined), 50);
  await guestWrite(vc, "livenfc01", key, MiB, later);
  assert.equal((await nfcLeases(vc)).slice(before).find((l) => l.vm === "livenfc01")?.state, "initializing", "the guest wrote before the export read the disk");
  const m = await finished("livenfc01");
  assert.equal(m.status?.phase, "Succeeded", m.status?.message);
  const d = m.status?.disks?.[0];
  assert.equal(d?.transport, "nfc");
  assert.equal(d?.sha256, `sha256:${sha(contents.livenfc01)}`);
  assert.equal(await guestBytesSha256(d?.targetPath as string, "qcow2"), sha(contents.livenfc01));
  const vm = await sourceVM("livenfc01");
  assert.equal(vm.powerState, "poweredOn");
  assert.equal(vm.snapshotCount, 0, "the export snapshot is removed");
});

test("an NFC lease aborted mid-disk is retried, then fails with the reason and leaves no partial volume", async () => {
  await setNfcFault(vc, "nfc02", { abortAfterBytes: 64 * 1024 });
  await applyYaml(srv, migrationYaml("nfc02", "nfc02", "", "vcenter-nfc"));
  const m = await finished("nfc02", 150_000);
  assert.equal(m.status?.phase, "Failed");
  assert.match(m.status?.message ?? "", /gave up after 5 attempts in Transferring: NFC export of disk .*download ended after 65536 of \d+ bytes/);
  assert.deepEqual((await readdir(lv.poolPath)).filter((f) => f.startsWith("nfc02")), []);
  const staging = await readdir(join(lv.poolPath, ".landfall-staging")).catch(() => [] as string[]);
  assert.ok(!staging.includes(m.metadata.uid as string), "its staging directory is removed");
});

test("an NFC download that outlasts the lease timeout keeps its lease alive with HttpNfcLeaseProgress; a cancelled one aborts it", async () => {
  // Without progress reports the simulator ends a ready lease after 4 s…
  const admin = new VsphereClient({ endpoint: vc.url, tls: { thumbprint: vc.thumbprint } });
  await admin.login(vc.username, vc.password);
  try {
    const p = provider();
    const vmID = (await p.getVM({ name: "nfc03" })).id;
    await p.close();
    const lease = moRef("HttpNfcLease", text(await admin.call("ExportVm", moRef("VirtualMachine", vmID))));
    const expired = await waitFor("an idle lease to time out", 20_000, async () => {
      const props = await retrieveOne(admin, lease, ["state", "error"]);
      return text(props.state) === "error" ? props : undefined;
    });
    assert.match(text(expired.error?.localizedMessage), /timed out: no HttpNfcLeaseProgress for 4 s/);
  } finally {
    await admin.close();
  }
  // …so a download throttled to ~8 s completes only because the reader reports progress meanwhile.
  await setNfcFault(vc, "nfc03", { bytesPerSecond: 128 * 1024 });
  const p = createVsphereSource({ endpoint: vc.url, username: vc.username, password: vc.password, tls: { thumbprint: vc.thumbprint }, transport: "nfc" });
  try {
    const vm = await p.getVM({ name: "nfc03" });
    const started = Date.now();
    const reader = await p.openDisk({ vmID: vm.id, mode: "cold", powerStateBefore: "poweredOff", poweredOffByExport: false, disks: vm.disks }, vm.disks[0]);
    assert.ok(Date.now() - started > 6000, "the download outlasted the lease timeout");
    const h = createHash("sha256");
    for await (const c of reader.readRange(0, reader.sizeBytes)) h.update(c);
    await reader.close();
    assert.equal(h.digest("hex"), sha(contents.nfc03));
    assert.equal(reader.origin?.transport, "nfc");
    assert.equal((await nfcLeases(vc)).filter((l) => l.vm === "nfc03").at(-1)?.state, "done", "the lease was completed");

    // A read cancelled mid-download aborts its lease rather than leaving it to time out.
    const before = (await nfcLeases(vc)).length;
    const cancel = new AbortController();
    const opening = p.openDisk({ vmID: vm.id, mode: "cold", powerStateBefore: "poweredOff", poweredOffByExport: false, disks: vm.disks }, vm.disks[0], {
      signal: cancel.signal,
    });
    await waitFor("the next lease to be ready", 20_000, async () => ((await nfcLeases(vc)).slice(before).some((l) => l.state === "ready") ? true : undefined), 50);
    await new Promise((ok) => setTimeout(ok, 500));
    cancel.abort();
    await assert.rejects(opening, /aborted/);
    const last = (await nfcLeases(vc)).at(-1);
    assert.deepEqual([last?.state, last?.error], ["error", "aborted by the client"]);
  } finally {
    await p.close();
  }
});

test("transport auto reads what it can over the datastore API and falls back to NFC per disk (an RDM)", async () => {
  await applyYaml(srv, migrationYaml("mixed01", "mixed01", "", "vcenter-auto"));
  const m = await finished("mixed01");
  assert.equal(m.status?.phase, "Succeeded", m.status?.message);
  const disks = m.status?.disks ?? [];
  assert.deepEqual(disks.map((d) => d.transport), ["datastore", "nfc"]);
  for (const [i, name] of ["mixed01-0", "mixed01-1"].entries()) {
    assert.equal(disks[i].sha256, `sha256:${sha(contents[name])}`, `${name}: source hash`);
    assert.equal(await guestBytesSha256(disks[i].targetPath as string, "qcow2"), sha(contents[name]), `${name}: target bytes`);
  }
});

test("a disk the datastore transport cannot read fails in Validating, naming the file, its format and what to do", async () => {
  await applyYaml(srv, migrationYaml("rdm01", "rdm01"));
  const m = await finished("rdm01", 60_000);
  assert.equal(m.status?.phase, "Failed");
  assert.equal(m.status?.conditions?.find((c) => c.type === "Ready")?.reason, "UnsupportedDisk");
  assert.match(m.status?.message ?? "", /\[LocalDS_0\] rdm01\/rdm01_0\.vmdk is a raw device mapping \(extent type VMFSRDM "rdm01_0-rdm\.vmdk"\).*use transport nfc/);
  assert.deepEqual(m.status?.phaseHistory?.map((p) => p.phase), ["Validating", "Failed"]);
});
