import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import { virtualMachineDiskPaths, storageRefusal } from "./storage.ts";

const ctx = { vm: "ns--web01", provider: "kvm", pool: "images", roots: ["/var/lib/landfall/images"] };

describe("adoption storage confinement", () => {
  it("lists the boot disk and every data disk path of a mirror", () => {
    const vm = {
      spec: { providerRef: { name: "kvm" }, importedDisk: { diskID: "a", path: "/p/a.qcow2" }, dataDisks: [{ diskID: "b", path: "/q/b.raw", format: "raw" }, { diskID: "c" }] },
    } as unknown as VirtualMachine;
    assert.deepEqual(virtualMachineDiskPaths(vm), [
      { field: "spec.importedDisk.path", path: "/p/a.qcow2", format: "qcow2" },
      { field: "spec.dataDisks[0].path", path: "/q/b.raw", format: "raw" },
    ]);
  });

  it("allows a VM whose disks all lie inside", () => {
    assert.equal(storageRefusal(ctx, []), undefined);
  });

  it("refuses naming each directory to allow, once, and the Provider field", () => {
    const msg = storageRefusal(ctx, ["/srv/vms/a.raw", "/srv/vms/b.raw", "/data/c.qcow2"]) ?? "";
    assert.match(msg, /^VM "ns--web01" was not adopted/);
    assert.match(msg, /add "\/srv\/vms", "\/data" to Provider "kvm" spec\.allowedStoragePaths/);
    assert.match(msg, /outside storage pool "images" \(\/var\/lib\/landfall\/images\)/);
  });

  it("refuses a disk inside whose backing chain leaves, with the chain's own message", () => {
    const msg = storageRefusal(ctx, [], ['spec.importedDisk.path "/var/lib/landfall/images/a.qcow2" backing file "/etc/shadow" is outside'] ) ?? "";
    assert.match(msg, /^VM "ns--web01" was not adopted: spec\.importedDisk\.path .* backing file "\/etc\/shadow" is outside/);
  });
});
