// The adoption preview arranges a decision for a reader: labels, tracking record, mirror VirtualMachine and the
// Cozystack manifests of that VirtualMachine (the same renderer as `landfall render cozystack`).
import assert from "node:assert/strict";
import { it } from "node:test";
import { DEFAULT_CONVENTIONS } from "../../api/conventions.ts";
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import type { TargetVM } from "../../providers/contract.ts";
import { adoptionConfigMap, adoptionLabels, type AdoptionDecision } from "./decide.ts";
import { adoptionPreview } from "./preview.ts";

const UUID = "6f1d3c1e-8a4b-4c2d-9e0f-123456789abc";
const live = { uuid: UUID, name: "hand", state: "running", cpus: 2, memoryMiB: 256, firmware: "bios", disks: [], nics: [], labels: {} } as unknown as TargetVM;
const mirror = (sizeBytes?: number): VirtualMachine =>
  ({
    apiVersion: "landfall.dev/v1beta1",
    kind: "VirtualMachine",
    metadata: { name: "hand", namespace: "default" },
    spec: { providerRef: { name: "kvm" }, uuid: UUID, cpus: 2, memoryMiB: 256, importedDisk: { diskID: "hand", path: "/var/lib/landfall/images/hand.raw", format: "raw", source: "import" } },
    status: { disks: [{ diskID: "hand", path: "/var/lib/landfall/images/hand.raw", format: "raw", ...(sizeBytes ? { sizeBytes } : {}) }] },
  }) as VirtualMachine;
const decision = (vm: VirtualMachine): AdoptionDecision => ({
  uuid: UUID,
  name: "hand",
  decision: "adopt",
  reason: "adopted by request",
  plan: "wave1",
  actions: [
    { type: "create-virtualmachine", virtualMachine: vm },
    { type: "set-labels", uuid: UUID, labels: adoptionLabels(DEFAULT_CONVENTIONS, "wave1") },
    {
      type: "create-configmap",
      configMap: adoptionConfigMap(DEFAULT_CONVENTIONS, { vmName: "hand", namespace: "default", sourcePlan: "wave1", sourceType: "unknown", adoptedAt: "2026-01-01T00:00:00Z", managementEndpoint: "landfall" }),
    },
  ],
});

it("lists the labels, the tracking ConfigMap, the mirror VirtualMachine and its Cozystack VMInstance/VMDisk", () => {
  const p = adoptionPreview(decision(mirror(4 << 20)), live, "libvirt");
  assert.equal(p.kind, "AdoptionPreview");
  assert.deepEqual(p.vm, { name: "hand", uuid: UUID });
  assert.equal(p.labels["landfall.dev/adopted"], "true");
  assert.equal(p.labels["landfall.dev/original-plan"], "wave1");
  assert.equal(p.trackingRecord?.metadata.name, "vm-adopted-hand");
  assert.equal(p.trackingRecord?.data?.sourcePlan, "wave1");
  assert.equal(p.virtualMachine?.metadata.name, "hand");
  assert.ok(p.cozystack && "objects" in p.cozystack, JSON.stringify(p.cozystack));
  const kinds = p.cozystack.objects.map((o) => `${o.apiVersion} ${o.kind}`);
  assert.deepEqual(kinds.sort(), ["apps.cozystack.io/v1alpha1 VMDisk", "apps.cozystack.io/v1alpha1 VMInstance"]);
  // The Cozystack preset's labels, whatever the server's own prefix.
  assert.equal(p.cozystack.objects[0].metadata.labels?.["cozystack.io/adopted"], "true");
});

it("says why the Cozystack manifests cannot be rendered instead of failing the preview", () => {
  const p = adoptionPreview(decision(mirror()), live, "libvirt");
  assert.ok(p.cozystack && "error" in p.cozystack);
  assert.match(p.cozystack.error, /size is unknown/);
  assert.equal(p.labels["landfall.dev/adopted"], "true", "the rest of the preview is still there");
});

it("a VM landfall already manages has no mirror to create: no VirtualMachine and no Cozystack rendering", () => {
  const d = decision(mirror(1));
  const p = adoptionPreview({ ...d, actions: d.actions.filter((a) => a.type !== "create-virtualmachine") }, live, "libvirt");
  assert.equal(p.virtualMachine, undefined);
  assert.equal(p.cozystack, undefined);
});
