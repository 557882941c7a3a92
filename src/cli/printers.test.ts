import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import type { KubeObject } from "../api/meta.ts";
import { age, columnsFor, humanBytes, importBytes, importVMs, migrationProgress, vmAdopted, vmSource } from "./columns.ts";
import { describeObject } from "./describe.ts";
import { printObjects, renderTable } from "./printers.ts";

const now = new Date("2026-01-01T12:00:00Z");
const vm: KubeObject = {
  apiVersion: "landfall.dev/v1beta1",
  kind: "VirtualMachine",
  metadata: { name: "web01", namespace: "prod", creationTimestamp: "2026-01-01T11:00:00Z", labels: { "landfall.dev/adopted": "true" } },
  spec: { providerRef: { name: "kvm" }, importedDisk: { diskID: "d" }, cpus: 2, memoryMiB: 2048 },
  status: { phase: "Running", providerID: "uuid-1" },
};
const migration: KubeObject = {
  apiVersion: "landfall.dev/v1beta1",
  kind: "VMMigration",
  metadata: { name: "move-web01", creationTimestamp: "2026-01-01T11:59:30Z" },
  spec: { source: { providerRef: { name: "vcenter" }, vmName: "web01" }, target: { providerRef: { name: "kvm" }, vmName: "web01" } },
  status: {
    phase: "Transferring",
    progress: { bytesDone: 512, bytesTotal: 2048 },
    disks: [{ diskID: "disk-2000", sizeBytes: 2048, bytesDone: 512, transport: "datastore", sha256: "sha256:abcdef0123456789abcdef", pool: "fast", targetPath: "/srv/fast/disk-2000.qcow2" }],
    conditions: [{ type: "Ready", status: "False", reason: "InProgress", message: "copying" }],
  },
};

describe("columns and printers", () => {
  it("prints the VirtualMachine table and its wide columns", () => {
    const table = printObjects("VirtualMachine", [vm], false, { output: "table", allNamespaces: false, now });
    assert.equal(table, "NAME    PHASE     PROVIDER   SOURCE         ADOPTED   AGE\nweb01   Running   kvm        importedDisk   true      60m\n");
    const wide = printObjects("VirtualMachine", [vm], false, { output: "wide", allNamespaces: true, now });
    const [header, row] = wide.trimEnd().split("\n");
    assert.deepEqual(header.split(/\s+/), ["NAMESPACE", "NAME", "PHASE", "PROVIDER", "SOURCE", "ADOPTED", "AGE", "PROVIDERID", "CPUS", "MEMORY"]);
    assert.deepEqual(row.split(/\s+/), ["prod", "web01", "Running", "kvm", "importedDisk", "true", "60m", "uuid-1", "2", "2048Mi"]);
  });

  it("shows where a VM's disk came from and whether it was adopted, under either prefix", () => {
    const with_ = (spec: object, labels: Record<string, string> = {}): KubeObject => ({ ...vm, metadata: { ...vm.metadata, labels }, spec });
    assert.equal(vmSource(with_({ providerRef: { name: "kvm" }, imageRef: { name: "ubuntu-22" } })), "image:ubuntu-22");
    assert.equal(vmSource(with_({ providerRef: { name: "kvm" }, importedDisk: { diskID: "d", source: "migration" } })), "migration");
    assert.equal(vmSource(with_({ providerRef: { name: "kvm" } })), "<none>");
    assert.equal(vmAdopted(with_({}, { "cozystack.io/adopted": "true" })), "true");
    assert.equal(vmAdopted(with_({}, { "landfall.dev/adopted": "true" })), "true");
    assert.equal(vmAdopted(with_({}, { "landfall.dev/adopted": "false", "example.com/adopted": "true" })), "false");
  });

  it("prints VMMigration progress and the Provider/VMImport headers", () => {
    assert.equal(migrationProgress(migration), "25% 512B/2.0KiB");
    const table = printObjects("VMMigration", [migration], false, { output: "table", allNamespaces: false, now });
    assert.match(table, /move-web01\s+Transferring\s+25% 512B\/2\.0KiB\s+vcenter\/web01\s+kvm\/web01\s+30s/);
    assert.deepEqual(columnsFor("Provider", false, false).map((c) => c.header), ["NAME", "TYPE", "READY", "REASON", "VMS", "AGE"]);
    assert.deepEqual(columnsFor("VMImport", false, false).map((c) => c.header), ["NAME", "PHASE", "VMS", "PROGRESS", "AGE"]);
  });

  it("summarises a VMImport per VM and in bytes", () => {
    const GiB = 2 ** 30;
    const imp: KubeObject = {
      apiVersion: "landfall.dev/v1beta1",
      kind: "VMImport",
      metadata: { name: "wave1", creationTimestamp: "2026-01-01T11:00:00Z" },
      spec: { vms: [{ name: "a" }, { name: "b" }, { name: "c" }] },
      status: {
        phase: "Running",
        progress: { total: 3, succeeded: 2, failed: 0, running: 1 },
        vms: [
          { name: "a", targetName: "a", bytesDone: GiB, bytesTotal: GiB },
          { name: "b", targetName: "b", bytesDone: GiB, bytesTotal: GiB },
          { name: "c", targetName: "c", bytesDone: 0, bytesTotal: 2 * GiB },
        ],
      },
    };
    assert.equal(importVMs(imp), "2/3 ok");
    assert.equal(importBytes(imp), "50% 2.0GiB/4.0GiB");
    assert.equal(importVMs({ ...imp, status: { progress: { total: 3, succeeded: 1, failed: 2, running: 0 } } }), "1/3 ok, 2 failed");
    assert.equal(importVMs({ ...imp, status: undefined }), "0/3 ok");
    assert.match(printObjects("VMImport", [imp], false, { output: "table", allNamespaces: false, now }), /wave1\s+Running\s+2\/3 ok\s+50% 2\.0GiB\/4\.0GiB\s+60m/);
  });

  it("prints one object as itself and many as a <Kind>List, in JSON and YAML", () => {
    assert.equal(JSON.parse(printObjects("VirtualMachine", [vm], true, { output: "json", allNamespaces: false })).metadata.name, "web01");
    const list = JSON.parse(printObjects("VirtualMachine", [vm, vm], false, { output: "json", allNamespaces: false }));
    assert.equal(list.kind, "VirtualMachineList");
    assert.equal(list.items.length, 2);
    assert.equal(parse(printObjects("VirtualMachine", [], false, { output: "yaml", allNamespaces: false })).kind, "VirtualMachineList");
    assert.equal(printObjects("VirtualMachine", [vm], false, { output: "name", allNamespaces: false }), "virtualmachine/web01\n");
  });

  it("formats ages, sizes and tables", () => {
    assert.equal(age("2026-01-01T11:59:00Z", now), "60s");
    assert.equal(age("2025-12-25T12:00:00Z", now), "7d");
    assert.equal(humanBytes(1536), "1.5KiB");
    assert.equal(renderTable([["A", "BB"], ["ccc", "d"]]), "A     BB\nccc   d\n");
  });

  it("describes a migration with per-disk progress and a conditions table", () => {
    const text = describeObject(migration, now);
    assert.match(text, /^Name:\s+move-web01$/m);
    assert.match(text, /^Phase:\s+Transferring$/m);
    assert.match(text, /DISK\s+SIZE\s+PROGRESS\s+DONE\s+STATE\s+TRANSPORT\s+ALLOCATED\s+SHA256\s+POOL\s+TARGET\n\s+disk-2000\s+2.0KiB\s+\[#####-+\] 25%\s+512B\s+-\s+datastore\s+-\s+sha256:abcdef012345\s+fast\s+\/srv\/fast\/disk-2000\.qcow2/);
    const disks = (migration.status as { disks: object[] }).disks.map((d) => ({ ...d, allocatedBytes: 1536 }));
    assert.match(describeObject({ ...migration, status: { ...(migration.status as object), disks } }, now), /datastore\s+1\.5KiB\s+sha256:/, "what the source reported allocated");
    assert.match(text, /^Progress:\s+Transferring \[#+-+\] 25% 512B\/2\.0KiB$/m);
    assert.doesNotMatch(text, /Phase history/);
    const withHistory = describeObject({ ...migration, status: { ...(migration.status as object), phaseHistory: [{ phase: "Pending", enteredAt: "2026-01-01T11:59:31Z" }] } }, now);
    assert.match(withHistory, /Phase history:\n\s+PHASE\s+ENTERED\n\s+Pending\s+2026-01-01T11:59:31Z/);
    assert.match(text, /Conditions:\n\s+TYPE\s+STATUS\s+REASON\s+MESSAGE\n\s+Ready\s+False\s+InProgress\s+copying/);
  });
});
