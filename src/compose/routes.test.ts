// The VirtualMachine delete hook writes its annotations only at the revision the server checked.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isApiError } from "../api/errors.ts";
import type { KubeObject } from "../api/meta.ts";
import { DELETE_DISKS_ANNOTATION, ORPHAN_ANNOTATION } from "../controllers/virtualmachine/decide.ts";
import { openSqliteStore } from "../store/sqlite/index.ts";
import { virtualMachineDeleteHook } from "./routes.ts";

const principal = { id: "1", name: "admin", role: "admin" as const };

describe("virtualMachineDeleteHook", () => {
  it("marks disks and orphaning at the checked revision, and writes nothing when the object changed since", async () => {
    const store = await openSqliteStore({ path: ":memory:" });
    try {
      const vm: KubeObject = await store.create({ apiVersion: "landfall.dev/v1beta1", kind: "VirtualMachine", metadata: { name: "a", namespace: "default" }, spec: { providerRef: { name: "kvm" }, importedDisk: { diskID: "d" } } });
      const hook = virtualMachineDeleteHook(store);
      const changed = await store.update({ ...vm, metadata: { ...vm.metadata, labels: { x: "y" } } });
      await assert.rejects(hook(vm, { deleteDisks: true, principal }), (e) => isApiError(e, "Conflict"));
      const after = await store.get("VirtualMachine", "default", "a");
      assert.equal(after.metadata.resourceVersion, changed.metadata.resourceVersion);
      assert.equal(after.metadata.annotations?.[DELETE_DISKS_ANNOTATION], undefined);

      const written = await hook(after, { deleteDisks: true, propagationPolicy: "Orphan", principal });
      assert.equal(written?.metadata.annotations?.[DELETE_DISKS_ANNOTATION], "true");
      assert.equal(written?.metadata.annotations?.[ORPHAN_ANNOTATION], "true");
      assert.equal(await hook(after, { deleteDisks: false, principal }), undefined, "a plain delete writes nothing");
    } finally {
      await store.close();
    }
  });
});
