import assert from "node:assert/strict";
import { test } from "node:test";
import { isApiError } from "../../api/errors.ts";
import type { KubeObject } from "../../api/meta.ts";
import { planCreate, planDelete, planStatusUpdate, planUpdate } from "./object-rules.ts";

const stored: KubeObject = {
  apiVersion: "landfall.dev/v1beta1",
  kind: "VirtualMachine",
  metadata: { name: "vm", namespace: "default", uid: "u1", generation: 3, resourceVersion: "7", creationTimestamp: "2026-01-01T00:00:00Z", finalizers: ["f/a"] },
  spec: { cpus: 1 },
  status: { phase: "Running" },
};

test("create sets identity and drops caller-supplied server fields and status", () => {
  const out = planCreate(
    { ...stored, metadata: { name: "vm", resourceVersion: "5", deletionTimestamp: "x", generation: 9 } },
    { uid: "new", now: "2026-02-02T00:00:00Z" },
  );
  assert.deepEqual(out.metadata, { name: "vm", namespace: "default", uid: "new", generation: 1, creationTimestamp: "2026-02-02T00:00:00Z" });
  assert.equal(out.status, undefined);
});

test("update keeps server-owned fields and status; generation follows spec", () => {
  const plan = planUpdate(stored, { ...stored, metadata: { name: "vm", uid: "forged", generation: 1, labels: { a: "b" } }, spec: { cpus: 2 }, status: {} });
  assert.equal(plan.action, "write");
  assert.equal(plan.object.metadata.uid, "u1");
  assert.equal(plan.object.metadata.generation, 4);
  assert.equal(plan.object.metadata.finalizers, undefined, "finalizers are the caller's to replace");
  assert.deepEqual(plan.object.status, { phase: "Running" });
  assert.equal(planUpdate(stored, structuredClone(stored)).action, "unchanged");
  assert.throws(() => planUpdate(stored, { ...stored, metadata: { ...stored.metadata, resourceVersion: "6" } }), (e: unknown) => isApiError(e, "Conflict"));
});

test("objects being deleted take no new finalizers and go when the last one is removed", () => {
  const deleting = { ...stored, metadata: { ...stored.metadata, deletionTimestamp: "2026-03-03T00:00:00Z" } };
  assert.throws(
    () => planUpdate(deleting, { ...deleting, metadata: { ...deleting.metadata, finalizers: ["f/a", "f/b"] } }),
    (e: unknown) => isApiError(e, "Invalid") && e.message.includes("f/b"),
  );
  assert.equal(planUpdate(deleting, { ...deleting, metadata: { ...deleting.metadata, finalizers: [] } }).action, "remove");
  assert.equal(planUpdate(deleting, { ...deleting, metadata: { ...deleting.metadata, finalizers: ["f/a"] } }).action, "unchanged");
});

test("delete marks objects with finalizers once and removes the rest", () => {
  const marked = planDelete(stored, "2026-03-03T00:00:00Z");
  assert.equal(marked.action, "write");
  assert.equal(marked.object.metadata.deletionTimestamp, "2026-03-03T00:00:00Z");
  assert.equal(planDelete(marked.object, "later").action, "unchanged");
  assert.equal(planDelete({ ...stored, metadata: { ...stored.metadata, finalizers: [] } }, "now").action, "remove");
});

test("updateStatus changes status only and is refused for kinds without status", () => {
  const plan = planStatusUpdate(stored, { ...stored, spec: { cpus: 9 }, status: { phase: "Stopped" } }, true);
  assert.deepEqual(plan.object.spec, { cpus: 1 });
  assert.deepEqual(plan.object.status, { phase: "Stopped" });
  assert.equal(plan.object.metadata.generation, 3);
  assert.throws(() => planStatusUpdate({ ...stored, kind: "ConfigMap" }, stored, false), (e: unknown) => isApiError(e, "MethodNotAllowed"));
});

test("immutable ConfigMaps and Secrets refuse data changes", () => {
  const cm: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "default", resourceVersion: "1" }, data: { a: "1" }, immutable: true };
  assert.throws(() => planUpdate(cm, { ...cm, data: { a: "2" } }), (e: unknown) => isApiError(e, "Invalid") && e.message.includes("data"));
  assert.equal(planUpdate(cm, { ...cm, metadata: { ...cm.metadata, labels: { x: "y" } } }).action, "write");
});
