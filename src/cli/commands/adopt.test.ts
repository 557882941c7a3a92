import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsageError } from "../args.ts";
import { adoptedResourceName, describeAdoption, parseAdoptTarget } from "./adopt.ts";

describe("adopt arguments and output", () => {
  it("splits PROVIDER/VM at the first slash and refuses a missing part", () => {
    assert.deepEqual(parseAdoptTarget("kvm/web01"), { provider: "kvm", vm: "web01" });
    assert.deepEqual(parseAdoptTarget("vcenter/folder/vm 1"), { provider: "vcenter", vm: "folder/vm 1" });
    for (const bad of ["kvm", "/web01", "kvm/"]) assert.throws(() => parseAdoptTarget(bad), UsageError);
  });

  it("names the VirtualMachine the adoption created, recorded, or would default to", () => {
    const base = { uuid: "u-1", name: "Legacy_VM", decision: "adopt" as const };
    assert.equal(adoptedResourceName({ ...base, actions: [{ type: "create-virtualmachine", virtualMachine: { metadata: { name: "legacy" } } }] }), "legacy");
    assert.equal(adoptedResourceName({ ...base, actions: [{ type: "create-configmap", configMap: { data: { vmName: "web01" } } }] }), "web01");
    assert.equal(adoptedResourceName({ ...base, actions: [] }), "legacy-vm");
    assert.equal(
      describeAdoption("kvm", "Legacy_VM", { ...base, plan: "manual", actions: [{ type: "create-virtualmachine", virtualMachine: { metadata: { name: "legacy" } } }] }),
      "adopted kvm/Legacy_VM (u-1) as virtualmachine/legacy, plan manual",
    );
    assert.equal(describeAdoption("kvm", "web01", { ...base, decision: "already-adopted", actions: [] }), "kvm/web01 is already adopted");
  });
});
