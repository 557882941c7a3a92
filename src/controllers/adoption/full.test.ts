import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ClusterObjects } from "../../providers/kubevirt/cluster-objects.ts";
import { helmOwnership } from "../../render/cozystack.ts";
import type { Manifest } from "../../render/manifest.ts";
import { executeFullAdoption, fullAdoptionSteps } from "./full.ts";

const release: Manifest = { apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", metadata: { name: "vm-instance-web01", namespace: "t" }, spec: {} };
const ownership = helmOwnership("vm-instance-web01", "t", [
  { apiVersion: "kubevirt.io/v1", kind: "VirtualMachine", name: "web01" },
  { apiVersion: "cdi.kubevirt.io/v1beta1", kind: "DataVolume", name: "web01-disk0" },
]);

describe("full adoption steps", () => {
  it("orders ownership before the HelmRelease and refuses what cannot be taken over in place", () => {
    assert.deepEqual(
      fullAdoptionSteps("web01", { ownership, objects: [release], warnings: [] }).map((s) => s.type),
      ["own", "own", "apply"],
    );
    assert.throws(() => fullAdoptionSteps("web01", { ownership: [], objects: [release], warnings: [] }), /not a KubeVirt VM in the cluster/);
    const vmdisk: Manifest = { apiVersion: "apps.cozystack.io/v1alpha1", kind: "VMDisk", metadata: { name: "web01-extra" }, spec: {} };
    assert.throws(() => fullAdoptionSteps("web01", { ownership, objects: [vmdisk, release], warnings: [] }), /web01-extra are not DataVolumes/);
  });

  it("stops at the first failed step: the HelmRelease is never applied over objects Helm may not own", async () => {
    const calls: string[] = [];
    const cluster: ClusterObjects = {
      mergeMetadata: async (p) => {
        calls.push(`own ${p.kind}`);
        if (p.kind === "DataVolume") throw new Error("DataVolume t/web01-disk0 not found");
      },
      apply: async (o) => {
        calls.push(`apply ${o.kind}`);
        return "created";
      },
    };
    const reported: string[] = [];
    await assert.rejects(executeFullAdoption(fullAdoptionSteps("web01", { ownership, objects: [release], warnings: [] }), cluster, (l) => reported.push(l)), /not found/);
    assert.deepEqual(calls, ["own VirtualMachine", "own DataVolume"]);
    assert.deepEqual(reported, ["Helm ownership (release vm-instance-web01) on VirtualMachine t/web01"]);
  });
});
