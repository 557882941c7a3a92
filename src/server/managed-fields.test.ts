// Server-side apply decisions with plain objects: ownership, conflicts, force, removal of dropped fields.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KubeObject } from "../api/meta.ts";
import { fromFieldsV1, leafFields, toFieldsV1 } from "./field-sets.ts";
import { type ManagedFieldsEntry, planApply, recordUpdate, updateManager } from "./managed-fields.ts";

const NOW = "2026-11-30T08:00:00Z";
const vm = (spec: Record<string, unknown>, labels?: Record<string, string>): KubeObject => ({
  apiVersion: "landfall.dev/v1beta1",
  kind: "VirtualMachine",
  metadata: { name: "web", namespace: "default", ...(labels ? { labels } : {}) },
  spec,
});
const owned = (obj: KubeObject, manager: string): string[] => {
  const entry = (obj.metadata.managedFields as ManagedFieldsEntry[] | undefined)?.find((e) => e.manager === manager);
  return entry ? [...fromFieldsV1(entry.fieldsV1)].sort() : [];
};
const applied = (plan: ReturnType<typeof planApply>): KubeObject => {
  assert.ok("object" in plan, JSON.stringify(plan));
  return plan.object;
};

describe("field sets", () => {
  it("round-trips leaf paths through FieldsV1; lists are atomic leaves", () => {
    const leaves = leafFields({ ...vm({ cpus: 2, networks: [{ name: "a" }], importedDisk: { diskID: "d" } }, { app: "x" }), status: { phase: "Running" } });
    assert.deepEqual([...leaves.keys()].sort(), ['["metadata","labels","app"]', '["spec","cpus"]', '["spec","importedDisk","diskID"]', '["spec","networks"]']);
    assert.deepEqual(toFieldsV1(leaves.keys()), { "f:spec": { "f:cpus": {}, "f:networks": {}, "f:importedDisk": { "f:diskID": {} } }, "f:metadata": { "f:labels": { "f:app": {} } } });
    assert.deepEqual(fromFieldsV1(toFieldsV1(leaves.keys())), new Set(leaves.keys()));
  });
});

describe("recordUpdate", () => {
  it("gives an updater the fields it changed and takes them from others", () => {
    const created = vm({ cpus: 2, memoryMiB: 64 });
    created.metadata.managedFields = recordUpdate(undefined, created, "creator", NOW);
    assert.deepEqual(owned(created, "creator"), ['["spec","cpus"]', '["spec","memoryMiB"]']);
    const next = { ...created, spec: { cpus: 3, memoryMiB: 64 } };
    next.metadata = { ...created.metadata, managedFields: recordUpdate(created, next, "patcher", NOW) };
    assert.deepEqual(owned(next, "creator"), ['["spec","memoryMiB"]']);
    assert.deepEqual(owned(next, "patcher"), ['["spec","cpus"]']);
  });

  it("changes nothing when nothing changed", () => {
    const obj = vm({ cpus: 2 });
    obj.metadata.managedFields = recordUpdate(undefined, obj, "a", NOW);
    assert.deepEqual(recordUpdate(obj, structuredClone(obj), "b", "2030-01-01T00:00:00Z"), obj.metadata.managedFields);
  });

  it("names the manager from fieldManager, else from the User-Agent", () => {
    assert.equal(updateManager("gitops", "kubectl/v1.32"), "gitops");
    assert.equal(updateManager(undefined, "kubectl/v1.32.0 (linux/amd64)"), "kubectl");
    assert.equal(updateManager(undefined, undefined), "unknown");
  });
});

describe("planApply", () => {
  const live = () => {
    const obj = vm({ cpus: 2, memoryMiB: 64 });
    obj.metadata.managedFields = recordUpdate(undefined, obj, "kubectl-client-side-apply", NOW);
    return obj;
  };

  it("creates from the intent and records an Apply entry", () => {
    const obj = applied(planApply(undefined, vm({ cpus: 1 }), "gitops", false, NOW));
    assert.deepEqual(obj.spec, { cpus: 1 });
    assert.equal((obj.metadata.managedFields as ManagedFieldsEntry[])[0].operation, "Apply");
  });

  it("refuses to change another manager's field, naming field and manager; same value is shared, not a conflict", () => {
    const plan = planApply(live(), vm({ cpus: 4, memoryMiB: 64 }), "gitops", false, NOW);
    assert.ok("conflicts" in plan);
    assert.deepEqual(plan.conflicts, [{ manager: "kubectl-client-side-apply", path: ["spec", "cpus"] }]);
    const shared = applied(planApply(live(), vm({ cpus: 2 }), "gitops", false, NOW));
    assert.deepEqual(owned(shared, "gitops"), ['["spec","cpus"]']);
    assert.deepEqual(owned(shared, "kubectl-client-side-apply"), ['["spec","cpus"]', '["spec","memoryMiB"]']);
  });

  it("takes the fields over when forced", () => {
    const obj = applied(planApply(live(), vm({ cpus: 4 }), "gitops", true, NOW));
    assert.deepEqual(obj.spec, { cpus: 4, memoryMiB: 64 });
    assert.deepEqual(owned(obj, "gitops"), ['["spec","cpus"]']);
    assert.deepEqual(owned(obj, "kubectl-client-side-apply"), ['["spec","memoryMiB"]']);
  });

  it("removes a field the manager applied before and leaves out now, unless another manager owns it", () => {
    const first = applied(planApply(undefined, vm({ cpus: 2, memoryMiB: 64 }, { team: "a" }), "gitops", false, NOW));
    const dropped = applied(planApply(first, vm({ cpus: 2 }), "gitops", false, NOW));
    assert.deepEqual(dropped.spec, { cpus: 2 });
    assert.equal(dropped.metadata.labels, undefined, "an emptied labels map goes too");
    const coOwned = structuredClone(first);
    coOwned.metadata.managedFields = [...(first.metadata.managedFields as ManagedFieldsEntry[]), { manager: "ops", operation: "Update", apiVersion: "landfall.dev/v1beta1", time: NOW, fieldsType: "FieldsV1", fieldsV1: { "f:spec": { "f:memoryMiB": {} } } }];
    assert.deepEqual(applied(planApply(coOwned, vm({ cpus: 2 }), "gitops", false, NOW)).spec, { cpus: 2, memoryMiB: 64 });
  });

  it("never applies status or server-owned metadata", () => {
    const intent = { ...vm({ cpus: 1 }), status: { phase: "Running" } };
    intent.metadata = { ...intent.metadata, uid: "forged", generation: 99 };
    const obj = applied(planApply(live(), intent, "gitops", true, NOW));
    assert.equal(obj.status, undefined);
    assert.equal(obj.metadata.uid, undefined);
    assert.equal(obj.metadata.generation, undefined);
  });
});
