// VMAction decisions without I/O: what each action needs, which failures are final, what status says.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError } from "../../api/errors.ts";
import { vmActionProblems } from "../../api/vmaction.ts";
import { isPermanent, outcomeStatus } from "./execute.ts";
import { isFinished } from "./reconcile.ts";

const NOW = "2026-11-30T08:00:00.000Z";

describe("VMAction", () => {
  it("names the fields each action needs", () => {
    assert.deepEqual(vmActionProblems({ action: "clone" }).map((p) => p.field), ["spec.virtualMachineRef", "spec.cloneName"]);
    assert.deepEqual(vmActionProblems({ action: "adopt", providerRef: { name: "kvm" } }).map((p) => p.field), ["spec.vm"]);
    assert.deepEqual(vmActionProblems({ action: "inventory", providerRef: { name: "kvm" } }), []);
    assert.deepEqual(vmActionProblems({ action: "unadopt", virtualMachineRef: { name: "web" } }), []);
  });

  it("fails for good on what the request cannot change (4xx but Conflict), retries the rest", () => {
    assert.ok(isPermanent(new ApiError("Invalid", "x")));
    assert.ok(isPermanent(new ApiError("Forbidden", "x")));
    assert.ok(isPermanent(new ApiError("NotFound", "x")));
    assert.ok(!isPermanent(new ApiError("Conflict", "x")));
    assert.ok(!isPermanent(new ApiError("ServiceUnavailable", "x")));
    assert.ok(!isPermanent(new Error("connection refused")));
  });

  it("reports the outcome once, with Ready and the reason of a failure", () => {
    const ok = outcomeStatus(undefined, { outcome: { virtualMachineRef: { name: "web" }, message: "done" } }, NOW, 1);
    assert.deepEqual([ok.phase, ok.virtualMachineRef, ok.completedAt, ok.conditions?.[0].status], ["Succeeded", { name: "web" }, NOW, "True"]);
    const failed = outcomeStatus({ phase: "Pending", message: "will retry: x" }, { error: new ApiError("Forbidden", "not open") }, NOW, 1);
    assert.deepEqual([failed.phase, failed.message, failed.conditions?.[0].reason], ["Failed", "not open", "Forbidden"]);
    const base = { apiVersion: "landfall.dev/v1beta1", kind: "VMAction", metadata: { name: "a" }, spec: { action: "inventory" as const } };
    assert.ok(isFinished({ ...base, status: failed }) && isFinished({ ...base, status: ok }));
    assert.ok(!isFinished({ ...base, status: { phase: "Pending" } }) && !isFinished(base));
  });
});
