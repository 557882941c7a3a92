import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KubeObject } from "../api/meta.ts";
import { addFinalizer, hasFinalizer, isBeingDeleted, removeFinalizer } from "./finalizers.ts";

const F = "landfall.dev/cleanup-target";
const obj = (finalizers?: string[]): KubeObject => ({ apiVersion: "v1", kind: "X", metadata: { name: "x", ...(finalizers ? { finalizers } : {}) } });

describe("finalizers", () => {
  it("adds once and returns new objects without touching the input", () => {
    const o = obj();
    const added = addFinalizer(o, F);
    assert.notEqual(added, o);
    assert.equal(o.metadata.finalizers, undefined);
    assert.deepEqual(added.metadata.finalizers, [F]);
    assert.equal(addFinalizer(added, F), added, "already present: same object");
    assert.equal(hasFinalizer(added, F), true);
    assert.equal(hasFinalizer(o, F), false);
  });

  it("removes only the named finalizer", () => {
    const o = obj(["other", F]);
    const removed = removeFinalizer(o, F);
    assert.deepEqual(removed.metadata.finalizers, ["other"]);
    assert.deepEqual(o.metadata.finalizers, ["other", F]);
    assert.equal(removeFinalizer(removed, F), removed, "absent: same object");
  });

  it("recognises an object being deleted", () => {
    assert.equal(isBeingDeleted(obj()), false);
    assert.equal(isBeingDeleted({ ...obj(), metadata: { name: "x", deletionTimestamp: "2026-01-01T00:00:00Z" } }), true);
  });
});
