// Endpoints beyond CRUD: provider inventory and VM power actions. Adoption and clone routes live beside their
// controllers' executors (adoption.ts, clone.ts) and are registered here too.
import { ApiError } from "../api/errors.ts";
import type { VirtualMachine } from "../api/virtualmachine.ts";
import type { ProviderClients } from "../controllers/provider/clients.ts";
import { DELETE_DISKS_ANNOTATION, ORPHAN_ANNOTATION } from "../controllers/virtualmachine/decide.ts";
import type { DeleteHook, RouteHelpers } from "../server/types.ts";
import type { ResourceStore } from "../store/types.ts";

const BASE = "/apis/landfall.dev/v1beta1/namespaces/:ns";

/** `delete vm --cascade=orphan` forgets the resource and leaves the domain; `--delete-disks` removes disks too. */
export function virtualMachineDeleteHook(store: ResourceStore): DeleteHook {
  return async (obj, request) => {
    const annotations: Record<string, string> = {};
    if (request.propagationPolicy === "Orphan") annotations[ORPHAN_ANNOTATION] = "true";
    if (request.deleteDisks) annotations[DELETE_DISKS_ANNOTATION] = "true";
    if (Object.keys(annotations).length === 0) return;
    const vm = await store.get<VirtualMachine>("VirtualMachine", obj.metadata.namespace ?? "default", obj.metadata.name);
    await store.update({ ...vm, metadata: { ...vm.metadata, annotations: { ...(vm.metadata.annotations ?? {}), ...annotations } } });
  };
}

export function registerInventoryRoutes(helpers: RouteHelpers, store: ResourceStore, clients: ProviderClients): void {
  helpers.jsonRoute({
    method: "GET",
    url: `${BASE}/providers/:name/vms`,
    handler: async ({ params }) => {
      const provider = await clients.provider(params.ns, params.name);
      try {
        if (clients.canSource(provider.spec.type)) {
          const items = await (await clients.source(provider)).listVMs();
          return { apiVersion: "landfall.dev/v1beta1", kind: "SourceVMList", items: items.sort((a, b) => a.name.localeCompare(b.name)) };
        }
        const items = await (await clients.target(provider)).listVMs();
        return { apiVersion: "landfall.dev/v1beta1", kind: "TargetVMList", items: items.sort((a, b) => a.name.localeCompare(b.name)) };
      } catch (err) {
        if (err instanceof ApiError) throw err;
        throw new ApiError("ServiceUnavailable", `Provider "${params.name}": ${(err as Error).message}`);
      }
    },
  });

  helpers.jsonRoute({
    method: "POST",
    url: `${BASE}/virtualmachines/:name/restart`,
    handler: async ({ params }) => {
      const vm = await store.get<VirtualMachine>("VirtualMachine", params.ns, params.name);
      const uuid = vm.status?.providerID;
      if (!uuid) throw new ApiError("Conflict", `VirtualMachine "${params.name}" has no domain yet (status.providerID is empty); wait until it is Running`);
      const { client } = await clients.targetByRef(params.ns, vm.spec.providerRef.name);
      const domain = await client.getVM({ uuid });
      await client.setPower(uuid, domain?.state === "running" ? "reboot" : "start");
      return { kind: "Status", status: "Success", message: `VirtualMachine "${params.name}" ${domain?.state === "running" ? "rebooting" : "starting"}` };
    },
  });
}
