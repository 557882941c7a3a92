import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import type { KubeObject } from "../api/meta.ts";
import { age, columnsFor, humanBytes, migrationProgress } from "./columns.ts";
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
    disks: [{ diskID: "disk-2000", sizeBytes: 2048, bytesDone: 512, sha256: "sha256:abcdef0123456789abcdef" }],
    conditions: [{ type: "Ready", status: "False", reason: "InProgress", message: "copying" }],
  },
};

describe("columns and printers", () => {
  it("prints the VirtualMachine table and its wide columns", () => {
    const table = printObjects("VirtualMachine", [vm], false, { output: "table", allNamespaces: false, now });
    assert.equal(table, "NAME    PHASE     PROVIDER   DISK-SOURCE    AGE\nweb01   Running   kvm        importedDisk   60m\n");
    const wide = printObjects("VirtualMachine", [vm], false, { output: "wide", allNamespaces: true, now });
    const [header, row] = wide.trimEnd().split("\n");
    assert.deepEqual(header.split(/\s+/), ["NAMESPACE", "NAME", "PHASE", "PROVIDER", "DISK-SOURCE", "AGE", "PROVIDERID", "CPUS", "MEMORY", "ADOPTED"]);
    assert.deepEqual(row.split(/\s+/), ["prod", "web01", "Running", "kvm", "importedDisk", "60m", "uuid-1", "2", "2048Mi", "true"]);
  });

  it("prints VMMigration progress and the Provider/VMImport headers", () => {
    assert.equal(migrationProgress(migration), "25%");
    const table = printObjects("VMMigration", [migration], false, { output: "table", allNamespaces: false, now });
    assert.match(table, /move-web01\s+Transferring\s+25%\s+vcenter\/web01\s+kvm\/web01\s+30s/);
    assert.deepEqual(columnsFor("Provider", false, false).map((c) => c.header), ["NAME", "TYPE", "READY", "REASON", "VMS", "AGE"]);
    assert.deepEqual(columnsFor("VMImport", false, false).map((c) => c.header), ["NAME", "PHASE", "VMS", "SUCCEEDED", "FAILED", "AGE"]);
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
    assert.match(text, /DISK\s+SIZE\s+PROGRESS\s+SHA256\s+TARGET\n\s+disk-2000\s+2.0KiB\s+25% \(512B\)\s+sha256:abcdef012345/);
    assert.match(text, /Conditions:\n\s+TYPE\s+STATUS\s+REASON\s+MESSAGE\n\s+Ready\s+False\s+InProgress\s+copying/);
  });
});
