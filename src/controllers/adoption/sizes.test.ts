import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import { recordedDiskSizes, withDiskSizes } from "./sizes.ts";

const vm = (): VirtualMachine => ({
  apiVersion: "landfall.dev/v1beta1",
  kind: "VirtualMachine",
  metadata: { name: "hand", namespace: "default" },
  spec: {
    providerRef: { name: "kvm" },
    importedDisk: { diskID: "hand-disk0", path: "/pool/hand-disk0.raw", format: "raw", source: "import" },
    dataDisks: [{ diskID: "hand-data", path: "/pool/hand-data.qcow2" }],
  },
  status: { providerID: "u-1" },
});

describe("disk sizes of adopted VMs", () => {
  it("records every disk of the mirror with its measured size, keeping the rest of the status", () => {
    const sized = withDiskSizes(vm(), new Map([["/pool/hand-disk0.raw", 4194304]]));
    assert.equal(sized.status?.providerID, "u-1");
    assert.deepEqual(sized.status?.disks, [
      { diskID: "hand-disk0", path: "/pool/hand-disk0.raw", format: "raw", sizeBytes: 4194304 },
      { diskID: "hand-data", path: "/pool/hand-data.qcow2", format: "qcow2" },
    ]);
    assert.deepEqual(recordedDiskSizes(sized), { "hand-disk0": 4194304 });
  });

  it("render falls back to the boot disk's virtual size in diskInfo; zero sizes are not sizes", () => {
    const v = { ...vm(), status: { diskInfo: { virtualSizeBytes: 2 ** 30 }, disks: [{ diskID: "hand-data", path: "/pool/hand-data.qcow2", format: "qcow2", sizeBytes: 0 }] } };
    assert.deepEqual(recordedDiskSizes(v), { "hand-disk0": 2 ** 30 });
  });
});
