// Batch imports and adoption, end to end: one vcsim (three VMs whose boot disks print a marker), real libvirtd and
// a real `bin/landfall serve`. Resources live in a namespace equal to the temp libvirt prefix, so every domain
// landfall defines (`<namespace>--<name>`) and every hand-made one is removed by the prefix cleanup.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { ConfigMap } from "../../src/api/configmap.ts";
import type { VirtualMachine } from "../../src/api/virtualmachine.ts";
import type { VMImport } from "../../src/api/vmimport.ts";
import type { VMMigration } from "../../src/api/vmmigration.ts";
import { type CliResult, landfall as cli, waitFor } from "../harness/landfall.ts";
import { type ServeProcess, startServeProcess } from "../../src/compose/serve-process.ts";
import { waitForConsole, writeBootDisk } from "../harness/bootdisk.ts";
import { createTempLibvirt, domainUUID, guestBytesSha256, type TempLibvirt, virsh } from "../harness/libvirt.ts";
import { startVcsim, type Vcsim } from "../harness/vcsim/harness.ts";
import { mustValidate, schemas } from "../../src/render/schemas.test-support.ts";

const MiB = 1 << 20;
const API = "/apis/landfall.dev/v1beta1";
const LABELS_NS = "https://landfall.dev/xmlns/v1";
const SOURCE_VMS = [
  { name: "web01", mib: 4, mac: "00:50:56:aa:10:01" },
  { name: "web02", mib: 6, mac: "00:50:56:aa:10:02" },
  { name: "db01", mib: 8, mac: "00:50:56:aa:10:03" },
];
/** A fourth VM, only for the import with cleanup.deleteMigrationsOnSuccess. */
const SPARE_VM = { name: "tiny01", mib: 4, mac: "00:50:56:aa:10:04" };
const marker = (vm: string) => `landfall e2e import: ${vm} booted`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let tl: TempLibvirt;
let vc: Vcsim;
let srv: ServeProcess;
let NS = "";

async function api<T>(method: string, path: string, body?: unknown): Promise<{ code: number; body: T }> {
  const res = await fetch(`${srv.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${srv.adminToken}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { code: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function get<T>(plural: string, name: string): Promise<T> {
  const r = await api<T>("GET", `${API}/namespaces/${NS}/${plural}/${name}`);
  assert.equal(r.code, 200, `GET ${plural}/${name}: ${JSON.stringify(r.body)}`);
  return r.body;
}

async function exists(plural: string, name: string): Promise<boolean> {
  const r = await api("GET", `${API}/namespaces/${NS}/${plural}/${name}`);
  if (r.code !== 200 && r.code !== 404) throw new Error(`GET ${plural}/${name}: ${r.code} ${JSON.stringify(r.body)}`);
  return r.code === 200;
}

async function list<T>(plural: string, labelSelector?: string): Promise<T[]> {
  const q = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : "";
  const r = await api<{ items: T[] }>("GET", `${API}/namespaces/${NS}/${plural}${q}`);
  assert.equal(r.code, 200, JSON.stringify(r.body));
  return r.body.items;
}

async function create(plural: string, obj: unknown): Promise<void> {
  const r = await api("POST", `${API}/namespaces/${NS}/${plural}`, obj);
  assert.equal(r.code, 201, `create ${plural}: ${JSON.stringify(r.body)}`);
}

function landfall(args: string[]): Promise<CliResult> {
  return cli(srv, args);
}

const until = waitFor;

/**
 * Every event of a namespaced watch from now on, collected until stop(): the controller's intermediate writes, none
 * missed (the watch starts at the list's resourceVersion, so events before the stream connects are replayed).
 */
async function watchAll<T>(plural: string): Promise<{ events: Array<{ type: string; object: T }>; stop(): void }> {
  const events: Array<{ type: string; object: T }> = [];
  const abort = new AbortController();
  const listed = await api<{ metadata: { resourceVersion: string } }>("GET", `${API}/namespaces/${NS}/${plural}`);
  const rv = listed.body.metadata.resourceVersion;
  void (async () => {
    const res = await fetch(`${srv.url}${API}/namespaces/${NS}/${plural}?watch=true&resourceVersion=${rv}`, { headers: { authorization: `Bearer ${srv.adminToken}` }, signal: abort.signal });
    let buf = "";
    const utf8 = new TextDecoder();
    const reader = res.body?.getReader();
    for (let r = await reader?.read(); reader && r && !r.done; r = await reader.read()) {
      buf += utf8.decode(r.value, { stream: true });
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) events.push(JSON.parse(line));
      }
    }
  })().catch(() => undefined);
  return { events, stop: () => abort.abort() };
}

async function domainLabels(domain: string): Promise<Record<string, string>> {
  const xml = await virsh(["metadata", domain, LABELS_NS]).catch(() => "");
  const labels: Record<string, string> = {};
  for (const m of xml.matchAll(/key="([^"]*)"\s+value="([^"]*)"/g)) labels[m[1]] = m[2];
  return labels;
}

const domState = async (domain: string) => (await virsh(["domstate", domain])).trim();
const domID = async (domain: string) => (await virsh(["domid", domain])).trim();

async function finishedImport(name: string, timeoutMs = 60_000): Promise<VMImport> {
  return until(`VMImport ${name} to finish with every VM adopted`, timeoutMs, async () => {
    const imp = await get<VMImport>("vmimports", name);
    const done = ["Succeeded", "PartiallySucceeded", "Failed"].includes(imp.status?.phase ?? "");
    const adopted = imp.spec.adoption?.enabled === false || (imp.status?.vms ?? []).every((v) => v.phase !== "Succeeded" || v.adopted);
    return done && adopted ? imp : undefined;
  });
}

before(async () => {
  tl = await createTempLibvirt("imp");
  NS = tl.prefix;
  await mkdir(tl.consoleLogDir, { recursive: true });
  const vms = [];
  for (const vm of [...SOURCE_VMS, SPARE_VM]) {
    const path = join(tl.scratchDir, `${vm.name}.raw`);
    await writeBootDisk(path, { sizeBytes: vm.mib * MiB, marker: marker(vm.name), fill: "random" });
    // Random UUIDs: vcsim derives them from names, and a migrated domain keeps its source's UUID.
    vms.push({ name: vm.name, uuid: randomUUID(), cpus: 1, memoryMiB: 64, powerOn: true, disks: [{ contentPath: path }], nics: [{ network: "VM Network", mac: vm.mac, model: "vmxnet3" as const }] });
  }
  vc = await startVcsim({ vms });
  srv = await startServeProcess();
  await create("secrets", { apiVersion: "landfall.dev/v1beta1", kind: "Secret", metadata: { name: "vc-creds" }, stringData: { username: vc.username, password: vc.password } });
  await create("providers", {
    apiVersion: "landfall.dev/v1beta1",
    kind: "Provider",
    metadata: { name: "vcenter" },
    spec: { type: "vsphere", endpoint: vc.url, credentialsRef: { name: "vc-creds" }, tls: { thumbprint: vc.thumbprint } },
  });
  await create("providers", {
    apiVersion: "landfall.dev/v1beta1",
    kind: "Provider",
    metadata: { name: "kvm" },
    spec: { type: "libvirt", uri: "qemu:///system", storagePool: tl.pool, storagePoolPath: tl.poolPath },
  });
});

after(async () => {
  await srv?.stop();
  await vc?.stop();
  await tl?.cleanup();
});

const importManifest = (name: string, vms: Array<{ name: string; targetName?: string }>, extra: Record<string, unknown> = {}) => ({
  apiVersion: "landfall.dev/v1beta1",
  kind: "VMImport",
  metadata: { name },
  spec: {
    source: { providerRef: { name: "vcenter" } },
    vms,
    target: { providerRef: { name: "kvm" }, namespace: NS, powerOn: true },
    networkMap: [{ source: "VM Network", target: "user" }],
    ...extra,
  },
});

describe("VMImport and adoption (vcsim → libvirt, real server)", { timeout: 180_000 }, () => {
  const guestSha = new Map<string, string>();

  it("imports three VMs with visible per-VM progress; each ends Running, adopted and recorded", async () => {
    const watch = await watchAll<VMImport>("vmimports");
    try {
      await create("vmimports", importManifest("wave1", SOURCE_VMS.map((v) => ({ name: v.name })), { adoption: { enabled: true } }));
      const imp = await finishedImport("wave1", 120_000);
      assert.equal(imp.status?.phase, "Succeeded", JSON.stringify(imp.status));
      assert.deepEqual(imp.status?.progress && { total: imp.status.progress.total, succeeded: imp.status.progress.succeeded }, { total: 3, succeeded: 3 });
      // Per-VM progress was visible while it ran: some row was mid-migration (a phase between Pending and the end,
      // or bytes moving before its migration finished).
      const rows = watch.events.flatMap((e) => e.object.status?.vms ?? []);
      const intermediate = rows.filter((r) => r.migration && r.phase !== "Pending" && r.phase !== "Succeeded" && r.phase !== "Failed");
      const moving = rows.filter((r) => r.phase !== "Succeeded" && (r.bytesDone ?? 0) > 0);
      assert.ok(intermediate.length + moving.length > 0, `no intermediate per-VM state among ${rows.length} rows: ${JSON.stringify(rows.map((r) => r.phase))}`);
      assert.ok(rows.some((r) => r.phase === "Pending"), "the rows start Pending");
    } finally {
      watch.stop();
    }
    for (const m of await list<VMMigration>("vmmigrations", "landfall.dev/vm-import=wave1")) {
      const phases = (m.status?.phaseHistory ?? []).map((p) => p.phase);
      for (const p of ["Validating", "Exporting", "Transferring", "Converting", "Importing", "Creating", "Succeeded"]) assert.ok(phases.includes(p), `${m.metadata.name} never entered ${p}: ${phases}`);
    }

    for (const src of SOURCE_VMS) {
      const vm = await until(`VirtualMachine ${src.name} Running`, 60_000, async () => {
        const v = await get<VirtualMachine>("virtualmachines", src.name);
        return v.status?.phase === "Running" ? v : undefined;
      });
      const domain = `${NS}--${src.name}`;
      assert.equal(await domState(domain), "running");
      assert.equal(await domainUUID(domain), vm.status?.providerID);
      const labels = await domainLabels(domain);
      assert.equal(labels["landfall.dev/adopted"], "true", `${domain} labels: ${JSON.stringify(labels)}`);
      assert.equal(labels["landfall.dev/source"], "vm-import");
      assert.equal(labels["landfall.dev/original-plan"], "wave1");
      assert.equal(labels["app.kubernetes.io/managed-by"], "landfall");

      const cm = await get<ConfigMap>("configmaps", `vm-adopted-${src.name}`);
      assert.equal(cm.metadata.labels?.["landfall.dev/type"], "adopted-vm");
      assert.equal(cm.data?.vmName, src.name);
      assert.equal(cm.data?.sourcePlan, "wave1");
      assert.equal(cm.data?.sourceType, "vmware");
      assert.ok(cm.data?.managementEndpoint, "managementEndpoint is set");
      assert.ok(!Number.isNaN(Date.parse(cm.data?.adoptedAt ?? "")), `adoptedAt ${cm.data?.adoptedAt} is a timestamp`);

      // The guest booted from its migrated disk.
      if (vm.status?.consoleLog) await waitForConsole(vm.status.consoleLog, marker(src.name), 30_000);
      const disk = vm.spec.importedDisk;
      assert.ok(disk?.path, `${src.name} has an imported disk path`);
      guestSha.set(src.name, await guestBytesSha256(disk.path, disk.format ?? "qcow2"));
      assert.equal(`sha256:${guestSha.get(src.name)}`, vm.metadata.annotations?.["landfall.dev/disk-checksum"]);
    }

    const table = await landfall(["get", "vm", "-n", NS]);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split("\n");
    const header = lines[0].split(/\s+/);
    const col = (row: string[], h: string) => row[header.indexOf(h)];
    for (const src of SOURCE_VMS) {
      const row = lines.map((l) => l.split(/\s+/)).find((r) => r[0] === src.name);
      assert.ok(row, `get vm lists ${src.name}:\n${table.stdout}`);
      assert.equal(col(row, "ADOPTED"), "true", table.stdout);
      assert.equal(col(row, "SOURCE"), "migration", table.stdout);
    }
  });

  it("deleting the finished VMImport keeps VMs, domains, disks and Providers; only its VMMigrations go", async () => {
    const owned = await list<VMMigration>("vmmigrations", "landfall.dev/vm-import=wave1");
    assert.equal(owned.length, 3, "without cleanup.deleteMigrationsOnSuccess the migrations stay until the import goes");
    const ids = new Map<string, string>();
    for (const src of SOURCE_VMS) ids.set(src.name, await domID(`${NS}--${src.name}`));

    const del = await api("DELETE", `${API}/namespaces/${NS}/vmimports/wave1`);
    assert.ok(del.code === 200 || del.code === 202, JSON.stringify(del.body));
    await until("VMImport wave1 to be gone", 30_000, async () => ((await exists("vmimports", "wave1")) ? undefined : true));
    await until("its VMMigrations to be gone", 30_000, async () => ((await list("vmmigrations", "landfall.dev/vm-import=wave1")).length === 0 ? true : undefined));

    for (const src of SOURCE_VMS) {
      const vm = await get<VirtualMachine>("virtualmachines", src.name);
      assert.equal(vm.metadata.deletionTimestamp, undefined);
      const domain = `${NS}--${src.name}`;
      assert.equal(await domState(domain), "running");
      assert.equal(await domID(domain), ids.get(src.name), `${domain} was not restarted`);
      const disk = vm.spec.importedDisk;
      assert.ok(disk?.path);
      assert.equal(await guestBytesSha256(disk.path, disk.format ?? "qcow2"), guestSha.get(src.name), `${disk.path} unchanged`);
      assert.ok(await exists("configmaps", `vm-adopted-${src.name}`), "tracking ConfigMaps survive the import");
    }
    assert.ok(await exists("providers", "vcenter"));
    assert.ok(await exists("providers", "kvm"));
    assert.ok(await exists("secrets", "vc-creds"));
  });

  it("with cleanup.deleteMigrationsOnSuccess, each VMMigration goes as soon as it succeeds", async () => {
    const watch = await watchAll<VMMigration>("vmmigrations");
    try {
      await create("vmimports", importManifest("wave2", [{ name: SPARE_VM.name }], { cleanup: { deleteMigrationsOnSuccess: true } }));
      const imp = await finishedImport("wave2");
      assert.equal(imp.status?.phase, "Succeeded", JSON.stringify(imp.status));
      assert.equal(imp.status?.vms?.[0]?.phase, "Succeeded", "the row keeps its outcome after its migration is gone");
      await until("wave2's VMMigration to be deleted", 15_000, async () => ((await list("vmmigrations", "landfall.dev/vm-import=wave2")).length === 0 ? true : undefined));
      assert.ok(await exists("vmimports", "wave2"), "the import itself stays");
      const mine = watch.events.filter((e) => e.object.metadata.labels?.["landfall.dev/vm-import"] === "wave2");
      assert.ok(mine.some((e) => e.object.status?.phase === "Succeeded"), "the migration succeeded first");
      assert.ok(mine.some((e) => e.type === "DELETED"), "then it was deleted");
      const vm = await get<VirtualMachine>("virtualmachines", SPARE_VM.name);
      assert.equal(vm.spec.importedDisk?.source, "migration");
    } finally {
      watch.stop();
    }
  });

  it("an invalid plan fails in Validating, names the problem and creates no VMMigration", async () => {
    const seen = await watchAll<VMImport>("vmimports");
    await create("vmimports", importManifest("bad-vm", [{ name: "web02", targetName: "web02-x" }, { name: "no-such-vm" }]));
    const badNet = importManifest("bad-net", [{ name: "db01", targetName: "db01-x" }]);
    await create("vmimports", { ...badNet, spec: { ...badNet.spec, networkMap: [{ source: "Other Net", target: "user" }] } });
    const failed = { badVM: await finishedImport("bad-vm", 30_000), badNet: await finishedImport("bad-net", 30_000) };
    seen.stop();
    assert.equal(failed.badVM.status?.phase, "Failed");
    assert.match(failed.badVM.status?.message ?? "", /spec\.vms\[1\].*no VM with name "no-such-vm"/);
    assert.equal(failed.badNet.status?.phase, "Failed");
    assert.match(failed.badNet.status?.message ?? "", /network "VM Network".*networkMap/);
    for (const imp of Object.values(failed)) {
      const phases = seen.events.filter((e) => e.object.metadata.name === imp.metadata.name).map((e) => e.object.status?.phase);
      assert.ok(phases.indexOf("Validating") >= 0 && phases.indexOf("Validating") < phases.indexOf("Failed"), `${imp.metadata.name} failed in Validating: ${phases}`);
      const ready = imp.status?.conditions?.find((c) => c.type === "Ready");
      assert.equal(ready?.reason, "InvalidPlan");
      assert.equal((await list("vmmigrations", `landfall.dev/vm-import=${imp.metadata.name}`)).length, 0);
    }
    assert.equal(await exists("virtualmachines", "web02-x"), false);

    // Fixing the rejected plan in place validates it again: this time it gets past Validating and starts a migration
    // (which then refuses to run a second copy of web02's identity — not what this test is about).
    const patched = await fetch(`${srv.url}${API}/namespaces/${NS}/vmimports/bad-vm`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${srv.adminToken}`, "content-type": "application/merge-patch+json" },
      body: JSON.stringify({ spec: { vms: [{ name: "web02", targetName: "web02-x" }] } }),
    });
    assert.equal(patched.status, 200, await patched.text());
    const retried = await until("the fixed plan to start a VMMigration", 30_000, async () => {
      const imp = await get<VMImport>("vmimports", "bad-vm");
      return imp.status?.vms?.[0]?.migration ? imp : undefined;
    });
    assert.doesNotMatch(retried.status?.message ?? "", /plan is invalid/);
    assert.equal((await list("vmmigrations", "landfall.dev/vm-import=bad-vm")).length, 1);
    await api("DELETE", `${API}/namespaces/${NS}/vmimports/bad-vm`);
    await until("VMImport bad-vm to be gone", 30_000, async () => ((await exists("vmimports", "bad-vm")) ? undefined : true));
  });

  describe("adopting a domain landfall did not create", () => {
    const HAND = "hand01";
    const handDomain = () => `${NS}--${HAND}`;
    const handUUID = randomUUID();
    const handMAC = "52:54:00:3c:11:07";
    let diskPath = "";
    let diskSha = "";

    const domainXML = (type: string, name: string, uuid: string, disk: string, log: string) => `<domain type='${type}'>
  <name>${name}</name>
  <uuid>${uuid}</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk>
    <interface type='user'><mac address='${handMAC}'/><model type='virtio'/></interface>
    <serial type='file'><source path='${log}'/><target port='0'/></serial>
  </devices>
</domain>`;

    async function defineAndStart(name: string, uuid: string, disk: string): Promise<void> {
      await writeBootDisk(disk, { sizeBytes: 4 * MiB, marker: `hand-made ${name}`, fill: "random" });
      const log = join(tl.consoleLogDir, `${name}.log`);
      const xmlPath = join(tl.scratchDir, `${name}.xml`);
      // TCG where there is no /dev/kvm, as landfall itself does.
      const type = (await stat("/dev/kvm").then(() => true, () => false)) ? "kvm" : "qemu";
      await writeFile(xmlPath, domainXML(type, name, uuid, disk, log));
      await virsh(["define", xmlPath]);
      await virsh(["start", name]);
      await waitForConsole(log, `hand-made ${name}`, 30_000);
    }

    before(async () => {
      diskPath = join(tl.poolPath, `${HAND}-disk0.raw`);
      await defineAndStart(handDomain(), handUUID, diskPath);
      diskSha = await guestBytesSha256(diskPath, "raw");
    });

    it("adopt mirrors the live domain without restarting it; a second adopt is a no-op", async () => {
      const domid = await domID(handDomain());
      const out = await landfall(["adopt", `kvm/${handDomain()}`, "-n", NS]);
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, new RegExp(`adopted kvm/${handDomain()} \\(${handUUID}\\) as virtualmachine/${HAND}`));

      const vm = await until(`VirtualMachine ${HAND} Running`, 30_000, async () => {
        const v = await get<VirtualMachine>("virtualmachines", HAND);
        return v.status?.phase === "Running" ? v : undefined;
      });
      assert.equal(vm.spec.importedDisk?.source, "import");
      assert.equal(vm.spec.importedDisk?.path, diskPath);
      assert.equal(vm.spec.cpus, 1);
      assert.equal(vm.spec.memoryMiB, 64);
      assert.equal(vm.spec.networks?.[0]?.macAddress, handMAC);
      assert.equal(vm.status?.providerID, handUUID);
      assert.equal(vm.metadata.labels?.["landfall.dev/adopted"], "true");
      const cm = await get<ConfigMap>("configmaps", `vm-adopted-${HAND}`);
      assert.equal(cm.data?.sourcePlan, "manual");
      assert.equal((await domainLabels(handDomain()))["landfall.dev/adopted"], "true");

      // Give the VirtualMachine controller a few passes: it must leave the domain exactly as it is.
      await sleep(3000);
      assert.equal(await domainUUID(handDomain()), handUUID);
      assert.equal(await domState(handDomain()), "running");
      assert.equal(await domID(handDomain()), domid, "the domain was not restarted");
      assert.equal(await guestBytesSha256(diskPath, "raw"), diskSha);

      const before = await get<VirtualMachine>("virtualmachines", HAND);
      const again = await api<{ decision: string; actions: unknown[] }>("POST", `${API}/namespaces/${NS}/providers/kvm/adopt`, { vm: handDomain() });
      assert.equal(again.code, 200, JSON.stringify(again.body));
      assert.equal(again.body.decision, "already-adopted");
      assert.deepEqual(again.body.actions, []);
      await sleep(1000);
      const afterAgain = await get<VirtualMachine>("virtualmachines", HAND);
      assert.equal(afterAgain.metadata.resourceVersion, before.metadata.resourceVersion, "a second adopt writes nothing");
    });

    it("the adopted VM records its disk size from the volume; render cozystack needs no manual field and fits the published schemas", async () => {
      const vm = await get<VirtualMachine>("virtualmachines", HAND);
      assert.deepEqual(
        vm.status?.disks?.map((d) => [d.path, d.sizeBytes]),
        [[diskPath, 4 * MiB]],
        "status.disks[].sizeBytes measured from the volume",
      );
      const out = await landfall(["render", "cozystack", HAND, "-n", NS, "-o", "json"]);
      assert.equal(out.code, 0, out.stderr);
      const items = (JSON.parse(out.stdout) as { items: Array<{ kind: string; spec: Record<string, unknown> }> }).items;
      const vmdisk = items.find((o) => o.kind === "VMDisk");
      const instance = items.find((o) => o.kind === "VMInstance");
      assert.ok(vmdisk && instance, out.stdout);
      assert.equal(vmdisk.spec.storage, 4 * MiB, "the VMDisk is as large as the adopted volume");
      mustValidate(schemas.vmDisk, vmdisk.spec, "VMDisk spec");
      mustValidate(schemas.vmInstance, instance.spec, "VMInstance spec");
    });

    it("unadopt removes labels, ConfigMap and VirtualMachine and leaves the domain running, untouched", async () => {
      const domid = await domID(handDomain());
      const out = await landfall(["unadopt", "vm", HAND, "-n", NS]);
      assert.equal(out.code, 0, out.stderr);
      await until(`VirtualMachine ${HAND} to be gone`, 30_000, async () => ((await exists("virtualmachines", HAND)) ? undefined : true));
      assert.equal(await exists("configmaps", `vm-adopted-${HAND}`), false);
      const labels = await domainLabels(handDomain());
      for (const k of ["landfall.dev/adopted", "landfall.dev/source", "landfall.dev/original-plan", "app.kubernetes.io/managed-by"]) assert.equal(labels[k], undefined, `${k} removed`);
      await sleep(1000);
      assert.equal(await domState(handDomain()), "running");
      assert.equal(await domID(handDomain()), domid);
      assert.equal(await domainUUID(handDomain()), handUUID);
      assert.equal(await guestBytesSha256(diskPath, "raw"), diskSha);
    });

    it("refuses a domain whose disk lies outside the pool and allowedStoragePaths, naming the directory to allow", async () => {
      const name = `${NS}--outside01`;
      // Beside the pool (qemu may not enter the 0700 scratch dir), inside the prefix's cleanup root.
      const outsideDir = join(dirname(tl.poolPath), "elsewhere");
      await mkdir(outsideDir, { recursive: true });
      await defineAndStart(name, randomUUID(), join(outsideDir, "outside01.raw"));
      const out = await landfall(["adopt", `kvm/${name}`, "-n", NS]);
      assert.notEqual(out.code, 0, out.stdout);
      assert.ok(out.stderr.includes(outsideDir), `the error names ${outsideDir}: ${out.stderr}`);
      assert.match(out.stderr, /allowedStoragePaths/);
      assert.equal(await exists("virtualmachines", "outside01"), false);
      assert.equal(await exists("configmaps", "vm-adopted-outside01"), false);
      assert.deepEqual(await domainLabels(name), {});
      assert.equal(await domState(name), "running");
    });
  });
});
