import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { publishedValidators } from "../../test/harness/kube-apiserver/schemas.ts";
import { DEFAULT_CONVENTIONS } from "../api/conventions.ts";
import type { VirtualMachine } from "../api/virtualmachine.ts";
import { renderKubeVirt } from "./kubevirt.ts";

const vm: VirtualMachine = {
  apiVersion: "landfall.dev/v1beta1",
  kind: "VirtualMachine",
  metadata: {
    name: "web01",
    namespace: "default",
    annotations: { "landfall.dev/migrated-from": "vsphere/vcenter/web01", "landfall.dev/disk-checksum": `sha256:${"b".repeat(64)}`, "kubectl.kubernetes.io/other": "x" },
  },
  spec: {
    providerRef: { name: "kvm" },
    importedDisk: { diskID: "web01-disk0", path: "/pool/web01-disk0.qcow2", source: "migration" },
    cpus: 2,
    memoryMiB: 1024,
    uuid: "4210a1b2-0000-4000-8000-000000000001",
    networks: [{ name: "backend", macAddress: "52:54:00:00:00:02" }],
    powerState: "Off",
  },
  status: { disks: [{ diskID: "web01-disk0", path: "/pool/web01-disk0.qcow2", format: "qcow2", sizeBytes: 3 * 2 ** 30 }] },
};

describe("render kubevirt", () => {
  it("uses the recorded disk size, the HTTPS source with its checksum, and carries only landfall's annotations", () => {
    const { objects, warnings } = renderKubeVirt({
      vm,
      conventions: DEFAULT_CONVENTIONS,
      namespace: "tenant-a",
      diskSource: () => ({ type: "http", url: "https://lf.example/images/t/web01-disk0.qcow2", checksum: `sha256:${"b".repeat(64)}` }),
    });
    assert.deepEqual(warnings, []);
    const [dv, machine] = objects;
    const validators = publishedValidators();
    for (const o of objects) assert.deepEqual(validators.get(`${o.apiVersion}/${o.kind}`)?.(o), []);
    assert.equal(dv.metadata.namespace, "tenant-a");
    assert.deepEqual((dv.spec.storage as { resources: unknown }).resources, { requests: { storage: "3Gi" } });
    assert.equal((dv.spec.source as { http: { checksum: string } }).http.checksum, vm.metadata.annotations?.["landfall.dev/disk-checksum"]);
    assert.deepEqual(Object.keys(machine.metadata.annotations ?? {}).sort(), ["landfall.dev/disk-checksum", "landfall.dev/migrated-from"]);
    assert.equal(machine.spec.runStrategy, "Halted");
  });

  it("refuses a disk whose size is unknown, naming the field to set", () => {
    const unsized = { ...vm, status: {} };
    assert.throws(() => renderKubeVirt({ vm: unsized, conventions: DEFAULT_CONVENTIONS }), /spec\.importedDisk \(disk "web01-disk0"\) is unknown; set spec\.importedDisk\.sizeGiB/);
  });
});
