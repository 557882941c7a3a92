// Disk placement by datastore and VMs of one VMImport in parallel, end to end: a vcsim VM with disks on two
// datastores lands in two libvirt pools (each disk's sha256 proven, the guest boots), three VMs run at most two at a
// time with exact counts, a storageMap naming an undeclared pool is a 422, and paths outside every declared pool —
// written directly or through a symlink planted in a pool — are still refused, at the API and by the target itself.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir, stat, symlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type { VirtualMachine } from "../../src/api/virtualmachine.ts";
import type { VMImport } from "../../src/api/vmimport.ts";
import type { VMMigration } from "../../src/api/vmmigration.ts";
import { type ServeProcess, startServeProcess } from "../../src/compose/serve-process.ts";
import { createLibvirtTarget } from "../../src/providers/libvirt/target.ts";
import { waitForConsole, writeBootDisk } from "../harness/bootdisk.ts";
import { api, applyYaml, resourcePath, waitFor } from "../harness/landfall.ts";
import { createTempLibvirt, guestBytesSha256, sha256File, type TempLibvirt, virsh } from "../harness/libvirt.ts";
import { startVcsim, type Vcsim, writeRandomContent } from "../harness/vcsim/harness.ts";

const exec = promisify(execFile);
const MiB = 1 << 20;
const marker = (vm: string) => `landfall e2e pools: ${vm} booted`;

let lv: TempLibvirt;
let vc: Vcsim;
let srv: ServeProcess;
let ns: string;
/** The Provider's extra pool, beside its default one. */
let fast: { name: string; path: string };
/** Inside the test's cleanup root, but in no pool. */
let outsideDir: string;
const sums: Record<string, string[]> = {};

async function content(vm: string, i: number, sizeBytes: number, datastore: "LocalDS_0" | "LocalDS_1", boot: boolean) {
  const path = join(lv.scratchDir, `${vm}-${i}.raw`);
  if (boot) await writeBootDisk(path, { sizeBytes, marker: marker(vm), fill: "random" });
  else await writeRandomContent(path, sizeBytes);
  sums[vm] ??= [];
  sums[vm][i] = await sha256File(path);
  return { contentPath: path, datastore };
}

interface Status {
  reason?: string;
  message?: string;
  details?: { causes?: Array<{ field?: string; message?: string }> };
}

function assertInvalid(res: { status: number; body: unknown }, field: string, ...mentions: string[]): void {
  assert.equal(res.status, 422, JSON.stringify(res.body));
  const cause = (res.body as Status).details?.causes?.find((c) => c.field === field);
  assert.ok(cause, `a cause names ${field}: ${JSON.stringify(res.body)}`);
  for (const m of mentions) assert.ok(cause.message?.includes(m), `the cause names ${m}: ${cause.message}`);
}

const post = (plural: string, obj: unknown) => api(srv, resourcePath(ns, plural), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(obj) });

before(async () => {
  lv = await createTempLibvirt("pools");
  ns = lv.prefix;
  const root = dirname(lv.poolPath);
  fast = { name: `${lv.prefix}-fast`, path: join(root, "fast") };
  outsideDir = join(root, "outside");
  await mkdir(outsideDir, { recursive: true });
  const vm = async (name: string, disks: Array<Awaited<ReturnType<typeof content>>>) => ({ name, uuid: randomUUID(), cpus: 1, memoryMiB: 64, powerOn: false, disks });
  const vms = [
    await vm("db01", [await content("db01", 0, 4 * MiB, "LocalDS_0", true), await content("db01", 1, 3 * MiB, "LocalDS_1", false)]),
    await vm("web01", [await content("web01", 0, 4 * MiB, "LocalDS_0", true)]),
    await vm("web02", [await content("web02", 0, 4 * MiB, "LocalDS_0", true)]),
  ];
  vc = await startVcsim({ vms });
  srv = await startServeProcess();
  await applyYaml(
    srv,
    `apiVersion: landfall.dev/v1beta1
kind: Secret
metadata: {name: vcenter-creds, namespace: ${ns}}
stringData: {username: ${vc.username}, password: ${vc.password}}
---
apiVersion: landfall.dev/v1beta1
kind: Provider
metadata: {name: vcenter, namespace: ${ns}}
spec: {type: vsphere, endpoint: "${vc.url}", credentialsRef: {name: vcenter-creds}, tls: {insecureSkipVerify: true}}
---
apiVersion: landfall.dev/v1beta1
kind: Provider
metadata: {name: kvm, namespace: ${ns}}
spec:
  type: libvirt
  uri: "qemu:///system"
  storagePool: ${lv.pool}
  storagePoolPath: ${lv.poolPath}
  storagePools: [{name: ${fast.name}, path: ${fast.path}}]
`,
  );
});

after(async () => {
  await srv?.stop();
  await vc?.stop();
  await lv?.cleanup();
});

const importOf = (name: string, storageTarget: string, options: Record<string, unknown> = {}) => ({
  apiVersion: "landfall.dev/v1beta1",
  kind: "VMImport",
  metadata: { name, namespace: ns },
  spec: {
    source: { providerRef: { name: "vcenter" } },
    vms: [{ name: "db01" }, { name: "web01" }, { name: "web02" }],
    target: { providerRef: { name: "kvm" }, namespace: ns, powerOn: true },
    // LocalDS_0 has no entry: its disks go to the Provider's default pool.
    storageMap: [{ source: "LocalDS_1", target: storageTarget }],
    adoption: { enabled: false },
    options,
  },
});

/** The largest number of [start, end] intervals open at one instant (an end before a start at the same time). */
function maxOverlap(intervals: Array<[number, number]>): number {
  const edges = intervals.flatMap(([s, e]) => [[s, 1] as const, [e, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let max = 0;
  for (const [, d] of edges) {
    open += d;
    max = Math.max(max, open);
  }
  return max;
}

describe("storage pools and parallel VMs of a VMImport (vcsim → libvirt, real server)", { timeout: 420_000 }, () => {
  it("refuses a storageMap naming a pool the Provider does not declare (422 naming the entry and the pools)", async () => {
    assertInvalid(await post("vmimports", importOf("bad", "gold")), "spec.storageMap[0].target", '"gold"', `"${lv.pool}"`, `"${fast.name}"`);
    const migration = { apiVersion: "landfall.dev/v1beta1", kind: "VMMigration", metadata: { name: "bad", namespace: ns }, spec: { source: { providerRef: { name: "vcenter" }, vmName: "db01" }, target: { providerRef: { name: "kvm" }, storageMap: [{ source: "LocalDS_1", target: "gold" }] } } };
    assertInvalid(await post("vmmigrations", migration), "spec.target.storageMap[0].target", '"gold"', `"${fast.name}"`);
  });

  it("places each disk in the pool its datastore maps to, runs two VMs at a time with exact counts, and the guest boots", async () => {
    const seen: VMImport[] = [];
    assert.equal((await post("vmimports", importOf("wave", fast.name, { maxConcurrent: 2 }))).status, 201);
    const imp = await waitFor("VMImport wave to finish", 300_000, async () => {
      const { body } = await api<VMImport>(srv, resourcePath(ns, "vmimports", "wave"));
      seen.push(body);
      return ["Succeeded", "PartiallySucceeded", "Failed"].includes(body.status?.phase ?? "") ? body : undefined;
    });
    assert.equal(imp.status?.phase, "Succeeded", JSON.stringify(imp.status));
    assert.deepEqual(imp.status?.progress && { ...imp.status.progress, bytesDone: 0, bytesTotal: 0 }, { total: 3, succeeded: 3, failed: 0, running: 0, pending: 0, bytesDone: 0, bytesTotal: 0 });
    // Every state observed on the way adds up: each VM counted exactly once, never more than two running.
    for (const s of seen) {
      const p = s.status?.progress;
      if (!p) continue;
      assert.equal(p.succeeded + p.failed + p.running + (p.pending ?? 0) + (p.skipped ?? 0), p.total, JSON.stringify(p));
      assert.ok(p.running <= 2, `at most maxConcurrent running: ${JSON.stringify(p)}`);
    }

    // Two VMs ran at once and never three: the migrations' own phase timestamps, Validating to Succeeded.
    const migrations = (await api<{ items: VMMigration[] }>(srv, `${resourcePath(ns, "vmmigrations")}?labelSelector=${encodeURIComponent("landfall.dev/vm-import=wave")}`)).body.items;
    assert.equal(migrations.length, 3);
    const intervals = migrations.map((m): [number, number] => {
      const h = m.status?.phaseHistory ?? [];
      const start = Date.parse(h.find((p) => p.phase === "Validating")?.enteredAt ?? "");
      const end = Date.parse(h.find((p) => p.phase === "Succeeded")?.enteredAt ?? "");
      assert.ok(start < end, `${m.metadata.name}: ${JSON.stringify(h)}`);
      return [start, end];
    });
    assert.equal(maxOverlap(intervals), 2, `two migrations overlap, never three: ${JSON.stringify(intervals)}`);

    // db01's disks sit on two datastores and land in two pools, each byte for byte the source's.
    const db = migrations.find((m) => m.spec.source.vmName === "db01");
    const disks = db?.status?.disks ?? [];
    assert.equal(disks.length, 2);
    assert.deepEqual(
      disks.map((d) => d.pool),
      [lv.pool, fast.name],
    );
    assert.ok(disks[0].targetPath?.startsWith(`${lv.poolPath}/`), disks[0].targetPath);
    assert.ok(disks[1].targetPath?.startsWith(`${fast.path}/`), disks[1].targetPath);
    for (const [i, d] of disks.entries()) {
      assert.equal(d.sha256, `sha256:${sums.db01[i]}`, `disk ${i}: source hash`);
      assert.equal(d.targetSha256, d.sha256, `disk ${i}: target hash`);
      assert.equal(await guestBytesSha256(d.targetPath as string, d.targetFormat ?? "qcow2"), sums.db01[i], `disk ${i}: guest bytes of ${d.targetPath}`);
    }
    // libvirt knows the volume in the extra pool, which landfall created.
    assert.match(await virsh(["vol-list", fast.name]), new RegExp(`${disks[1].diskID}\\.qcow2`));
    assert.equal((await virsh(["pool-info", fast.name])).match(/State:\s+(\w+)/)?.[1], "running");

    const vm = await waitFor("VirtualMachine db01 Running", 60_000, async () => {
      const { body } = await api<VirtualMachine>(srv, resourcePath(ns, "virtualmachines", "db01"));
      return body.status?.phase === "Running" ? body : undefined;
    });
    assert.deepEqual(
      vm.spec.dataDisks?.map((d) => d.path),
      [disks[1].targetPath],
    );
    await waitForConsole(vm.status?.consoleLog as string, marker("db01"), 60_000);
  });

  it("still refuses paths outside every declared pool, written directly or through a link planted in a pool", async () => {
    const outside = join(outsideDir, "stray.qcow2");
    await exec("qemu-img", ["create", "-f", "qcow2", outside, "1M"]);
    const planted = join(fast.path, "planted.qcow2");
    await symlink(outside, planted);
    const vm = (name: string, path: string) => ({ apiVersion: "landfall.dev/v1beta1", kind: "VirtualMachine", metadata: { name, namespace: ns }, spec: { providerRef: { name: "kvm" }, memoryMiB: 64, powerState: "Off", importedDisk: { diskID: name, path, format: "qcow2" } } });
    assertInvalid(await post("virtualmachines", vm("stray", outside)), "spec.importedDisk.path", outside, fast.path);
    assertInvalid(await post("virtualmachines", vm("planted", planted)), "spec.importedDisk.path", planted, outside);

    // The target itself, with both pools: it deletes nothing outside them, not even through the planted link.
    const target = createLibvirtTarget({ uri: "qemu:///system", storagePool: lv.pool, storagePoolPath: lv.poolPath, storagePools: [fast], consoleLogDir: lv.consoleLogDir });
    try {
      const refused = new RegExp(`outside storage pool "${lv.pool}" \\(${lv.poolPath}\\) and the Provider's other pools "${fast.name}" \\(${fast.path}\\)`);
      await assert.rejects(target.deleteDisk(outside), refused);
      await assert.rejects(target.deleteDisk(planted), refused);
      await assert.rejects(target.ensureStorage("gold"), /storage pool "gold" is not one of this Provider's pools/);
      assert.ok((await stat(outside)).isFile(), "the file outside the pools is untouched");
    } finally {
      await target.close();
    }
  });
});
