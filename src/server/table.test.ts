// Table responses: negotiation, printer-column cells, the JSONPath subset.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { findKind } from "../api/kinds.ts";
import type { KubeObject } from "../api/meta.ts";
import { cell, humanAge, jsonPathValues, tableFor, wantsTable } from "./table.ts";

const vmInfo = findKind("lfvm")!;
const vm: KubeObject = {
  apiVersion: "landfall.dev/v1beta1",
  kind: "VirtualMachine",
  metadata: { name: "web", namespace: "default", creationTimestamp: "2026-11-30T08:00:00Z" },
  spec: { providerRef: { name: "kvm" }, importedDisk: { diskID: "d", source: "import" } },
  status: { phase: "Running", providerID: "uuid-1", conditions: [{ type: "Other", status: "False" }, { type: "Ready", status: "True", reason: "Running" }] },
};

describe("Table responses", () => {
  it("are what kubectl's Accept asks for, and only that", () => {
    assert.ok(wantsTable("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"));
    assert.ok(!wantsTable("application/json"));
    assert.ok(!wantsTable("application/json;as=Table;v=v2;g=meta.k8s.io"));
    assert.ok(!wantsTable(undefined));
  });

  it("hold the CRD's printer columns after Name, priority 1 for -o wide, and the object's metadata", () => {
    const table = tableFor(vmInfo, [vm], { includeObject: "Metadata", now: new Date("2026-11-30T08:05:00Z"), resourceVersion: "7" });
    assert.deepEqual(table.columnDefinitions.map((c) => [c.name, c.priority]), [["Name", 0], ["Phase", 0], ["Provider", 0], ["Source", 0], ["Image", 0], ["Age", 0], ["ProviderID", 1]]);
    assert.deepEqual(table.rows[0].cells, ["web", "Running", "kvm", "import", null, "5m", "uuid-1"]);
    assert.deepEqual(table.rows[0].object, { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: vm.metadata });
    assert.equal(table.metadata.resourceVersion, "7");
    assert.equal(tableFor(vmInfo, [vm], { includeObject: "None", now: new Date(), withColumns: false }).columnDefinitions.length, 0);
  });

  it("evaluate the JSONPath subset printer columns use, and refuse the rest naming the path", () => {
    assert.deepEqual(jsonPathValues(vm, '.status.conditions[?(@.type=="Ready")].reason'), ["Running"]);
    assert.deepEqual(jsonPathValues(vm, ".status.conditions[*].type"), ["Other", "Ready"]);
    assert.deepEqual(jsonPathValues(vm, ".status.conditions[1].status"), ["True"]);
    assert.deepEqual(jsonPathValues(vm, ".spec.imageRef.name"), []);
    assert.throws(() => jsonPathValues(vm, "{.spec}"), /printer column JSONPath "\{\.spec\}"/);
    assert.equal(cell(vm, { name: "VMs", type: "integer", jsonPath: ".status.phase" }, new Date()), null, "a non-number in an integer column is empty");
  });

  it("print ages the way kubectl does", () => {
    assert.deepEqual([humanAge(5_000), humanAge(150_000), humanAge(3 * 3600_000), humanAge(3 * 86400_000)], ["5s", "2m", "3h", "3d"]);
  });
});
