// Which VirtualMachines to reconcile when a Provider changes: those whose providerRef names it. A VM waiting
// for a Provider that does not exist yet is woken by its creation instead of polling for it.
import type { KubeObject } from "../../api/meta.ts";
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import type { MapToKeys } from "../../runtime/mappers.ts";
import { providerKey } from "../provider/ref.ts";

/** `cached` lists the VirtualMachines known now (an informer's cache). */
export function virtualMachinesUsing(cached: () => readonly KubeObject[]): MapToKeys {
  return (provider) => {
    const namespace = provider.metadata.namespace ?? "default";
    return (cached() as VirtualMachine[])
      .filter((vm) => {
        const ref = providerKey(vm.spec.providerRef, vm.metadata.namespace ?? "default");
        return ref.name === provider.metadata.name && ref.namespace === namespace;
      })
      .map((vm) => ({ namespace: vm.metadata.namespace ?? "default", name: vm.metadata.name }));
  };
}
