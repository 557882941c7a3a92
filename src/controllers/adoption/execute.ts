// Executes adoption actions decided by decide.ts. The managed object is created before anything is released;
// nothing here powers a VM, deletes a domain or touches a disk.
import { ApiError } from "../../api/errors.ts";
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import type { TargetProvider } from "../../providers/contract.ts";
import { patchObject } from "../../runtime/status.ts";
import type { ResourceStore } from "../../store/types.ts";
import { ORPHAN_ANNOTATION } from "../virtualmachine/decide.ts";
import type { AdoptionAction } from "./decide.ts";

const ignore = (reason: string) => (err: unknown) => {
  if (!(err instanceof ApiError && err.reason === reason)) throw err;
};

export async function executeAdoption(store: ResourceStore, target: TargetProvider, actions: AdoptionAction[]): Promise<void> {
  // Create the VirtualMachine first: the VM is under management before anything else changes.
  const ordered = [...actions.filter((a) => a.type === "create-virtualmachine"), ...actions.filter((a) => a.type !== "create-virtualmachine")];
  for (const a of ordered) {
    switch (a.type) {
      case "create-virtualmachine": {
        const { status, ...desired } = a.virtualMachine;
        const created = await store.create<VirtualMachine>(desired as VirtualMachine).catch(async (err) => {
          ignore("AlreadyExists")(err);
          return store.get<VirtualMachine>("VirtualMachine", desired.metadata.namespace ?? "default", desired.metadata.name);
        });
        if (status && !created.status?.providerID) await store.updateStatus({ ...created, status: { ...(created.status ?? {}), ...status } });
        break;
      }
      case "set-labels":
        await target.setLabels(a.uuid, a.labels);
        break;
      case "create-configmap":
        await store.create(a.configMap).catch(ignore("AlreadyExists"));
        break;
      case "delete-configmap":
        await store.delete("ConfigMap", a.namespace, a.name).catch(ignore("NotFound"));
        break;
      case "orphan-virtualmachine": {
        // Orphan: the VirtualMachine controller sees the annotation and releases its finalizer without touching the domain.
        const vm = await store.get<VirtualMachine>("VirtualMachine", a.namespace, a.name).catch(() => undefined);
        if (!vm) break;
        await store.update({ ...vm, metadata: { ...vm.metadata, annotations: { ...(vm.metadata.annotations ?? {}), [ORPHAN_ANNOTATION]: "true" } } });
        await store.delete("VirtualMachine", a.namespace, a.name).catch(ignore("NotFound"));
        break;
      }
    }
  }
}

/** Adds labels to a VirtualMachine resource (adoption labels shown by `get vm`), leaving everything else as is. */
export async function labelVirtualMachine(store: ResourceStore, namespace: string, name: string, labels: Record<string, string>): Promise<void> {
  await patchObject<VirtualMachine>(store, "VirtualMachine", namespace, name, (vm) => ({ ...vm, metadata: { ...vm.metadata, labels: { ...(vm.metadata.labels ?? {}), ...labels } } }));
}
