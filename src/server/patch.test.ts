import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isApiError } from "../api/errors.ts";
import { applyJsonPatch, applyMergePatch, deepEqual, parsePointer } from "./patch.ts";

describe("JSON patch (RFC 6902)", () => {
  const doc = { spec: { cpus: 1, networks: [{ name: "a" }, { name: "b" }] }, metadata: { name: "x", labels: { "a/b": "1" } } };

  it("adds, replaces and removes without touching the input", () => {
    const out = applyJsonPatch(doc, [
      { op: "add", path: "/spec/memoryMiB", value: 512 },
      { op: "replace", path: "/spec/cpus", value: 4 },
      { op: "remove", path: "/spec/networks/0" },
      { op: "add", path: "/spec/networks/-", value: { name: "c" } },
    ]);
    assert.deepEqual(out.spec, { cpus: 4, memoryMiB: 512, networks: [{ name: "b" }, { name: "c" }] });
    assert.equal(doc.spec.cpus, 1);
    assert.equal(doc.spec.networks.length, 2);
  });

  it("inserts into arrays at an index", () => {
    const out = applyJsonPatch({ a: [1, 3] }, [{ op: "add", path: "/a/1", value: 2 }]);
    assert.deepEqual(out.a, [1, 2, 3]);
  });

  it("moves and copies", () => {
    const out = applyJsonPatch({ a: { x: 1 }, b: {} } as Record<string, unknown>, [
      { op: "copy", from: "/a/x", path: "/b/y" },
      { op: "move", from: "/a", path: "/c" },
    ]);
    assert.deepEqual(out, { b: { y: 1 }, c: { x: 1 } });
  });

  it("unescapes ~1 and ~0 in pointers", () => {
    assert.deepEqual(parsePointer("/a~1b/c~0d"), ["a/b", "c~d"]);
    const out = applyJsonPatch(doc, [{ op: "replace", path: "/metadata/labels/a~1b", value: "2" }]);
    assert.equal(out.metadata.labels["a/b"], "2");
  });

  it("test passes on equal values and fails the whole patch otherwise", () => {
    assert.equal(applyJsonPatch(doc, [{ op: "test", path: "/spec/cpus", value: 1 }]).spec.cpus, 1);
    assert.throws(
      () => applyJsonPatch(doc, [{ op: "replace", path: "/spec/cpus", value: 9 }, { op: "test", path: "/spec/cpus", value: 1 }]),
      (e) => isApiError(e, "Invalid") && /test at "\/spec\/cpus" failed/.test(e.message),
    );
  });

  it("rejects missing paths, bad ops and non-array bodies", () => {
    assert.throws(() => applyJsonPatch(doc, [{ op: "remove", path: "/spec/nope" }]), (e) => isApiError(e, "Invalid") && /does not exist/.test(e.message));
    assert.throws(() => applyJsonPatch(doc, [{ op: "replace", path: "/spec/networks/5", value: 1 }]), (e) => isApiError(e, "Invalid"));
    assert.throws(() => applyJsonPatch(doc, [{ op: "frobnicate", path: "/a" }]), (e) => isApiError(e, "BadRequest") && /"op" must be one of/.test(e.message));
    assert.throws(() => applyJsonPatch(doc, [{ op: "add", path: "/a" }]), (e) => isApiError(e, "BadRequest") && /needs "value"/.test(e.message));
    assert.throws(() => applyJsonPatch(doc, { op: "add" }), (e) => isApiError(e, "BadRequest"));
    assert.throws(() => applyJsonPatch(doc, [{ op: "add", path: "spec", value: 1 }]), (e) => isApiError(e, "BadRequest"));
    assert.throws(() => applyJsonPatch({ a: { b: 1 } }, [{ op: "move", from: "/a", path: "/a/b/c" }]), (e) => isApiError(e, "Invalid"));
  });
});

describe("merge patch (RFC 7386)", () => {
  it("merges objects recursively, deletes on null, replaces arrays and scalars", () => {
    const target = { a: "b", c: { d: "e", f: "g" }, list: [1, 2] };
    const out = applyMergePatch(target, { a: "z", c: { f: null, h: 1 }, list: [3] });
    assert.deepEqual(out, { a: "z", c: { d: "e", h: 1 }, list: [3] });
    assert.deepEqual(target.c, { d: "e", f: "g" });
  });

  it("follows the RFC's examples for non-object patches and targets", () => {
    assert.deepEqual(applyMergePatch({ a: "b" }, ["c"]), ["c"]);
    assert.equal(applyMergePatch({ a: "b" }, null), null);
    assert.deepEqual(applyMergePatch("x", { a: { bb: { ccc: null } } }), { a: { bb: {} } });
    assert.deepEqual(applyMergePatch({ e: null }, { a: 1 }), { e: null, a: 1 });
  });
});

describe("deepEqual", () => {
  it("compares structurally", () => {
    assert.ok(deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }));
    assert.ok(!deepEqual({ a: 1 }, { a: 1, b: undefined }));
    assert.ok(!deepEqual([1], { 0: 1 }));
  });
});
