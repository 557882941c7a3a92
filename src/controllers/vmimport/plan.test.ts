import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_CONVENTIONS } from "../../api/conventions.ts";
import type { KubeObject } from "../../api/meta.ts";
import { validateObject } from "../../api/validate.ts";
import type { VMImport } from "../../api/vmimport.ts";
import type { VMMigration, VMMigrationPhase } from "../../api/vmmigration.ts";
import type { SourceVM } from "../../providers/contract.ts";
import { aggregate, cleanupActions, migrationName, migrationsFor, needsValidation, nextToStart, validatePlan } from "./plan.ts";

function source(name: string, id: string, network = "VM Network", datastore = "LocalDS_0"): SourceVM {
  return {
    name,
    id,
    uuid: `uuid-${id}`,
    powerState: "poweredOff",
    guestOS: "otherGuest",
    cpus: 1,
    memoryMiB: 512,
    firmware: "bios",
    disks: [{ key: 2000, label: "Hard disk 1", fileName: `[${datastore}] ${name}/${name}.vmdk`, capacityBytes: 1 << 20, datastore, controller: "scsi" }],
    nics: [{ network, macAddress: "00:50:56:00:00:01", model: "vmxnet3" }],
  };
}

const inventory = [source("DC0_H0_VM0", "vm-1"), source("DC0_H0_VM1", "vm-2", "DMZ", "SAN_1"), source("web", "vm-3")];

function vmImport(spec: Partial<VMImport["spec"]> = {}): VMImport {
  return {
    apiVersion: "landfall.dev/v1beta1",
    kind: "VMImport",
    metadata: { name: "batch", namespace: "default", uid: "imp-uid" },
    spec: {
      source: { providerRef: { name: "vcenter" } },
      vms: [{ name: "DC0_H0_VM0" }, { id: "vm-2", targetName: "second" }],
      target: { providerRef: { name: "kvm" }, namespace: "prod" },
      networkMap: [
        { source: "VM Network", target: "user" },
        { source: "DMZ", target: "user" },
      ],
      storageMap: [
        { source: "LocalDS_0", target: "default" },
        { source: "SAN_1", target: "default" },
      ],
      ...spec,
    },
  };
}

describe("validatePlan", () => {
  it("accepts a plan whose VMs exist, maps cover every NIC and disk, and names are free", () => {
    assert.deepEqual(validatePlan(vmImport().spec, inventory, ["other"]), []);
  });

  it("names every problem: missing VM, unmapped network, bad, duplicate and taken names", () => {
    const spec = vmImport({
      vms: [
        { name: "nope" },
        { id: "vm-2" },
        { name: "web", targetName: "dc0-h0-vm1" },
        { name: "DC0_H0_VM0", targetName: "taken" },
        { id: "vm-3", targetName: "Bad_Name" },
      ],
      networkMap: [{ source: "VM Network", target: "user" }],
      storageMap: [{ source: "LocalDS_0", target: "default" }],
    }).spec;
    const problems = validatePlan(spec, inventory, ["taken"]);
    const text = problems.join("\n");
    assert.match(text, /spec\.vms\[0\]: no VM with name "nope"/);
    assert.match(text, /network "DMZ", which spec\.networkMap does not map/);
    assert.doesNotMatch(text, /SAN_1/, "a datastore without a storageMap entry goes to the default pool");
    assert.match(text, /spec\.vms\[2\]: target name "dc0-h0-vm1" is also used by spec\.vms\[1\]/);
    assert.match(text, /spec\.vms\[3\]: VirtualMachine "taken" already exists/);
    assert.match(text, /spec\.vms\[4\]\.targetName "Bad_Name" is not a DNS-1123 label/);
    assert.match(text, /spec\.vms\[4\]: VM "web" \(vm-3\) is already listed at spec\.vms\[2\]/);
    assert.equal(problems.length, 6);
  });

  it("refuses a storageMap naming a pool the libvirt target does not declare, naming the pools it does", () => {
    const target = { name: "kvm", spec: { type: "libvirt" as const, storagePool: "main", storagePools: [{ name: "fast", path: "/srv/fast" }] } };
    const ok = vmImport({ storageMap: [{ source: "LocalDS_0", target: "fast" }] }).spec;
    assert.deepEqual(validatePlan(ok, inventory, [], target), []);
    const bad = vmImport({ storageMap: [{ source: "LocalDS_0", target: "main" }, { source: "SAN_1", target: "slow" }] }).spec;
    const problems = validatePlan(bad, inventory, [], target);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /spec\.storageMap\[1\]\.target "slow" is not a storage pool of Provider "kvm"; use one of "main", "fast"/);
    // Another kind of target (a storage class, say) is not judged by libvirt's pools.
    assert.deepEqual(validatePlan(bad, inventory, [], { name: "kv", spec: { type: "kubevirt" } }), []);
  });

  it("reports a VM listed twice (by name and by id)", () => {
    const problems = validatePlan(vmImport({ vms: [{ name: "web" }, { id: "vm-3", targetName: "web-2" }] }).spec, inventory, []);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /already listed at spec\.vms\[0\]/);
  });

  it("skips map coverage when no maps are given", () => {
    assert.deepEqual(validatePlan(vmImport({ networkMap: undefined, storageMap: undefined }).spec, inventory, []), []);
  });
});

describe("needsValidation", () => {
  const at = (generation: number, status: VMImport["status"]): VMImport => ({ ...vmImport(), metadata: { ...vmImport().metadata, generation }, status });

  it("validates a new import and one interrupted while validating", () => {
    assert.equal(needsValidation(at(1, undefined)), true);
    assert.equal(needsValidation(at(1, { phase: "Pending" })), true);
    assert.equal(needsValidation(at(1, { phase: "Validating" })), true);
  });

  it("retries a rejected plan once its spec was edited, and not before", () => {
    const rejected = { phase: "Failed" as const, observedGeneration: 1, message: "plan is invalid: …" };
    assert.equal(needsValidation(at(1, rejected)), false, "unchanged spec: stays Failed");
    assert.equal(needsValidation(at(2, rejected)), true, "the user fixed the plan: validate again");
  });

  it("never revalidates an import that started migrations", () => {
    const vms = [{ name: "web", targetName: "web", migration: "batch-web", phase: "Failed" }];
    assert.equal(needsValidation(at(2, { phase: "Running", observedGeneration: 1, vms })), false);
    assert.equal(needsValidation(at(2, { phase: "Failed", observedGeneration: 1, vms })), false);
  });
});

describe("migrationsFor", () => {
  it("creates one owned VMMigration per VM with maps, labels and a valid schema", () => {
    const ms = migrationsFor(vmImport({ options: { diskFormat: "qcow2", mode: "cold" } }), inventory, DEFAULT_CONVENTIONS);
    assert.deepEqual(
      ms.map((m) => m.metadata.name),
      ["batch-dc0-h0-vm0", "batch-second"],
    );
    const [a, b] = ms;
    assert.deepEqual(a.metadata.ownerReferences, [
      { apiVersion: "landfall.dev/v1beta1", kind: "VMImport", name: "batch", uid: "imp-uid", controller: true, blockOwnerDeletion: true },
    ]);
    assert.equal(a.metadata.labels?.["landfall.dev/vm-import"], "batch");
    assert.deepEqual(a.spec.source, { providerRef: { name: "vcenter" }, vmName: "DC0_H0_VM0" });
    assert.deepEqual(b.spec.source, { providerRef: { name: "vcenter" }, vmID: "vm-2" });
    assert.equal(a.spec.target.vmName, "dc0-h0-vm0");
    assert.equal(a.spec.target.namespace, "prod");
    assert.deepEqual(a.spec.target.networkMap, vmImport().spec.networkMap);
    assert.deepEqual(a.spec.target.storageMap, vmImport().spec.storageMap);
    assert.deepEqual(a.spec.options, { diskFormat: "qcow2", mode: "cold" });
    for (const m of ms) validateObject(m);
  });

  it("trims long names to 63 and keeps them distinct", () => {
    const base = "a".repeat(40);
    const x = migrationName(base, `${"b".repeat(30)}-one`);
    const y = migrationName(base, `${"b".repeat(30)}-two`);
    assert.ok(x.length <= 63 && y.length <= 63);
    assert.notEqual(x, y);
    assert.match(x, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });
});

describe("nextToStart", () => {
  it("keeps at most maxConcurrent migrations running", () => {
    const vms = [
      { name: "a", targetName: "a", migration: "m-a", phase: "Transferring" },
      { name: "b", targetName: "b", migration: "m-b", phase: "Succeeded" },
      { name: "c", targetName: "c" },
      { name: "d", targetName: "d" },
      { name: "e", targetName: "e" },
    ];
    assert.deepEqual(nextToStart(vms, 2), ["c"]);
    assert.deepEqual(nextToStart(vms, 1), []);
    assert.deepEqual(nextToStart(vms, 5), ["c", "d", "e"]);
  });

  it("starts the others after a failure, unless failFast", () => {
    const vms = [
      { name: "a", targetName: "a", migration: "m-a", phase: "Failed" },
      { name: "b", targetName: "b", migration: "m-b", phase: "Transferring" },
      { name: "c", targetName: "c" },
    ];
    assert.deepEqual(nextToStart(vms, 2), ["c"]);
    assert.deepEqual(nextToStart(vms, 2, true), []);
  });
});

function migration(name: string, vmName: string, phase: VMMigrationPhase, owner = "imp-uid"): VMMigration {
  return {
    apiVersion: "landfall.dev/v1beta1",
    kind: "VMMigration",
    metadata: { name, namespace: "default", ownerReferences: [{ apiVersion: "landfall.dev/v1beta1", kind: "VMImport", name: "batch", uid: owner, controller: true }] },
    spec: { source: { providerRef: { name: "vcenter" }, vmName }, target: { providerRef: { name: "kvm" }, vmName } },
    status: { phase, progress: { bytesDone: 10, bytesTotal: 100 }, ...(phase === "Failed" ? { message: "ChecksumMismatch" } : {}) },
  };
}

describe("aggregate", () => {
  const imp = vmImport({ vms: [{ name: "DC0_H0_VM0" }, { name: "web" }] });

  it("is Pending before any migration exists", () => {
    const s = aggregate(imp, [], inventory);
    assert.equal(s.phase, "Pending");
    assert.deepEqual(s.progress, { total: 2, succeeded: 0, failed: 0, running: 0, pending: 2, bytesDone: 0, bytesTotal: 0 });
  });

  it("is Running while any VM is unfinished, with per-VM bytes", () => {
    const s = aggregate(imp, [migration("batch-dc0-h0-vm0", "dc0-h0-vm0", "Transferring")], inventory, "2026-01-01T00:00:00Z");
    assert.equal(s.phase, "Running");
    assert.equal(s.vms?.[0].phase, "Transferring");
    assert.equal(s.vms?.[0].bytesDone, 10);
    assert.equal(s.vms?.[1].phase, "Pending");
    assert.equal(s.startedAt, "2026-01-01T00:00:00Z");
  });

  it("ends Succeeded, PartiallySucceeded or Failed", () => {
    const ok = [migration("m1", "dc0-h0-vm0", "Succeeded"), migration("m2", "web", "Succeeded")];
    assert.equal(aggregate(imp, ok, inventory).phase, "Succeeded");
    const mixed = [migration("m1", "dc0-h0-vm0", "Succeeded"), migration("m2", "web", "Failed")];
    const s = aggregate(imp, mixed, inventory, "t");
    assert.equal(s.phase, "PartiallySucceeded");
    assert.equal(s.vms?.[1].message, "ChecksumMismatch");
    assert.equal(s.completedAt, "t");
    const bad = [migration("m1", "dc0-h0-vm0", "Failed"), migration("m2", "web", "Failed")];
    assert.equal(aggregate(imp, bad, inventory).phase, "Failed");
  });

  it("counts each VM once: a queued migration is pending, a transferring one running", () => {
    const three = vmImport({ vms: [{ name: "DC0_H0_VM0" }, { name: "web" }, { id: "vm-2", targetName: "second" }] });
    const s = aggregate(three, [migration("m1", "dc0-h0-vm0", "Transferring"), migration("m2", "web", "Pending")], inventory);
    assert.deepEqual(
      { running: s.progress?.running, pending: s.progress?.pending, succeeded: s.progress?.succeeded, failed: s.progress?.failed, total: s.progress?.total },
      { running: 1, pending: 2, succeeded: 0, failed: 0, total: 3 },
    );
  });

  it("with failFast, a failure marks the VMs never started Skipped and the import ends once the running ones finish", () => {
    const three = vmImport({ vms: [{ name: "DC0_H0_VM0" }, { name: "web" }, { id: "vm-2", targetName: "second" }], options: { failFast: true } });
    const running = aggregate(three, [migration("m1", "dc0-h0-vm0", "Failed"), migration("m2", "web", "Transferring")], inventory);
    assert.equal(running.phase, "Running");
    assert.equal(running.vms?.[2].phase, "Skipped");
    assert.match(running.vms?.[2].message ?? "", /failFast/);
    assert.deepEqual([running.progress?.failed, running.progress?.running, running.progress?.pending, running.progress?.skipped], [1, 1, 0, 1]);
    const done = aggregate(three, [migration("m1", "dc0-h0-vm0", "Failed"), migration("m2", "web", "Succeeded")], inventory, "t");
    assert.equal(done.phase, "PartiallySucceeded");
    assert.equal(done.completedAt, "t");
    // Without failFast the third VM is still to start.
    const goOn = aggregate({ ...three, spec: { ...three.spec, options: {} } }, [migration("m1", "dc0-h0-vm0", "Failed"), migration("m2", "web", "Succeeded")], inventory);
    assert.equal(goOn.phase, "Running");
    assert.equal(goOn.vms?.[2].phase, "Pending");
  });

  it("ignores migrations another import owns", () => {
    const s = aggregate(imp, [migration("m1", "dc0-h0-vm0", "Succeeded", "someone-else")], inventory);
    assert.equal(s.phase, "Pending");
  });
});

describe("cleanupActions", () => {
  const other = (kind: string, name: string): KubeObject => ({
    apiVersion: "landfall.dev/v1beta1",
    kind,
    metadata: { name, namespace: "default", ownerReferences: [{ apiVersion: "landfall.dev/v1beta1", kind: "VMImport", name: "batch", uid: "imp-uid", controller: true }] },
    spec: {},
    status: { phase: "Succeeded" },
  });

  it("deletes only its own succeeded VMMigrations, never Providers, VirtualMachines, ConfigMaps or disks", () => {
    const imp = vmImport({ cleanup: { deleteMigrationsOnSuccess: true } });
    const objects: KubeObject[] = [
      migration("done", "a", "Succeeded"),
      migration("failed", "b", "Failed"),
      migration("foreign", "c", "Succeeded", "other-uid"),
      other("Provider", "vcenter"),
      other("VirtualMachine", "dc0-h0-vm0"),
      other("ConfigMap", "vm-adopted-dc0-h0-vm0"),
      other("Secret", "creds"),
      other("Disk", "dc0-h0-vm0-disk0"),
    ];
    assert.deepEqual(cleanupActions(imp, objects), [{ type: "delete", kind: "VMMigration", namespace: "default", name: "done" }]);
  });

  it("deletes nothing unless cleanup.deleteMigrationsOnSuccess is set", () => {
    assert.deepEqual(cleanupActions(vmImport(), [migration("done", "a", "Succeeded")]), []);
  });
});
