import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getCondition, isFalse, isTrue, removeCondition, setCondition } from "./conditions.ts";

const t0 = new Date("2026-01-01T00:00:00Z");
const t1 = new Date("2026-01-01T00:05:00Z");

describe("conditions", () => {
  it("adds a condition with its transition time", () => {
    const c = setCondition(undefined, { type: "Ready", status: "False", reason: "Unreachable", message: "no route" }, t0);
    assert.deepEqual(c, [{ type: "Ready", status: "False", reason: "Unreachable", message: "no route", lastTransitionTime: t0.toISOString() }]);
    assert.equal(isFalse(c, "Ready"), true);
    assert.equal(isTrue(c, "Ready"), false);
  });

  it("keeps lastTransitionTime when the status stays, moves it when the status changes", () => {
    const first = setCondition([], { type: "Ready", status: "False", reason: "Unreachable" }, t0);
    const same = setCondition(first, { type: "Ready", status: "False", reason: "InvalidCredentials", message: "401" }, t1);
    assert.equal(getCondition(same, "Ready")?.lastTransitionTime, t0.toISOString());
    assert.equal(getCondition(same, "Ready")?.reason, "InvalidCredentials", "reason and message still update");
    const flipped = setCondition(same, { type: "Ready", status: "True", reason: "Connected" }, t1);
    assert.equal(getCondition(flipped, "Ready")?.lastTransitionTime, t1.toISOString());
    assert.equal(isTrue(flipped, "Ready"), true);
  });

  it("does not mutate its input and keeps other conditions in place", () => {
    const input = setCondition(setCondition([], { type: "Ready", status: "True" }, t0), { type: "InsecureTLS", status: "True" }, t0);
    const snapshot = structuredClone(input);
    const out = setCondition(input, { type: "Ready", status: "False" }, t1);
    assert.deepEqual(input, snapshot);
    assert.deepEqual(out.map((c) => c.type), ["Ready", "InsecureTLS"]);
    assert.deepEqual(removeCondition(out, "InsecureTLS").map((c) => c.type), ["Ready"]);
    assert.equal(getCondition(out, "Missing"), undefined);
    assert.equal(isTrue(undefined, "Ready"), false);
  });

  it("an identical update yields an identical array (so patchStatus can skip the write)", () => {
    const a = setCondition([], { type: "Ready", status: "True", reason: "Connected", observedGeneration: 2 }, t0);
    const b = setCondition(a, { type: "Ready", status: "True", reason: "Connected", observedGeneration: 2 }, t1);
    assert.deepEqual(b, a);
  });
});
