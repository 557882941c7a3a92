import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KubeObject } from "../api/meta.ts";
import { enqueueByAnnotation, enqueueOwners } from "./mappers.ts";
import { controllerOf, isOwnedBy, ownerReferenceFor, removeOwnerReference, setOwnerReference } from "./owners.ts";

/** The owner and annotation mappers look nothing up: an index that holds nothing. */
const noIndex = { byIndex: () => [] };

const importObj: KubeObject = { apiVersion: "landfall.dev/v1beta1", kind: "VMImport", metadata: { name: "plan", namespace: "t1", uid: "uid-1" } };
const child = (extra: Partial<KubeObject["metadata"]> = {}): KubeObject => ({
  apiVersion: "landfall.dev/v1beta1",
  kind: "VMMigration",
  metadata: { name: "m", namespace: "t1", ...extra },
});

describe("owner references", () => {
  it("creates a controller reference from a stored owner", () => {
    assert.deepEqual(ownerReferenceFor(importObj), { apiVersion: "landfall.dev/v1beta1", kind: "VMImport", name: "plan", uid: "uid-1", controller: true });
    assert.throws(() => ownerReferenceFor({ ...importObj, metadata: { name: "plan" } }), /VMImport "plan" has no metadata.uid/);
  });

  it("matches by uid, not by name", () => {
    const owned = setOwnerReference(child(), ownerReferenceFor(importObj));
    assert.equal(isOwnedBy(owned, importObj), true);
    const recreated = { ...importObj, metadata: { ...importObj.metadata, uid: "uid-2" } };
    assert.equal(isOwnedBy(owned, recreated), false, "same name, new uid: not the owner");
    assert.equal(controllerOf(owned)?.uid, "uid-1");
  });

  it("sets idempotently and removes by uid, returning the same object when nothing changes", () => {
    const ref = ownerReferenceFor(importObj);
    const once = setOwnerReference(child(), ref);
    assert.equal(setOwnerReference(once, ref), once);
    const other = { ...ref, uid: "uid-9", name: "other", controller: false };
    const twice = setOwnerReference(once, other);
    assert.equal(twice.metadata.ownerReferences?.length, 2);
    const removed = removeOwnerReference(twice, "uid-1");
    assert.deepEqual(removed.metadata.ownerReferences?.map((r) => r.uid), ["uid-9"]);
    assert.equal(removeOwnerReference(removed, "uid-1"), removed);
    assert.equal(twice.metadata.ownerReferences?.length, 2, "input untouched");
  });
});

describe("watch mappers", () => {
  it("enqueueOwners maps to owners of the kind in the object's namespace", () => {
    const obj = child({
      ownerReferences: [
        { apiVersion: "landfall.dev/v1beta1", kind: "VMImport", name: "plan", uid: "u1", controller: true },
        { apiVersion: "landfall.dev/v1beta1", kind: "VMImport", name: "shadow", uid: "u2" },
        { apiVersion: "v1", kind: "ConfigMap", name: "cm", uid: "u3" },
      ],
    });
    assert.deepEqual(enqueueOwners("VMImport")(obj, noIndex), [
      { namespace: "t1", name: "plan" },
      { namespace: "t1", name: "shadow" },
    ]);
    assert.deepEqual(enqueueOwners("VMImport", { controllerOnly: true })(obj, noIndex), [{ namespace: "t1", name: "plan" }]);
    assert.deepEqual(enqueueOwners("VMImport")(child(), noIndex), []);
  });

  it("enqueueByAnnotation follows a name or namespace/name annotation", () => {
    const map = enqueueByAnnotation("landfall.dev/migration");
    assert.deepEqual(map(child({ annotations: { "landfall.dev/migration": "web01" } }), noIndex), [{ namespace: "t1", name: "web01" }]);
    assert.deepEqual(map(child({ annotations: { "landfall.dev/migration": "ops/web01" } }), noIndex), [{ namespace: "ops", name: "web01" }]);
    assert.deepEqual(map(child(), noIndex), []);
    assert.deepEqual(enqueueByAnnotation("app", "labels")(child({ labels: { app: "x" } }), noIndex), [{ namespace: "t1", name: "x" }]);
  });
});
