// Endpoints beyond CRUD: provider inventory and VM power actions. Adoption and clone routes live beside their
// controllers' executors (adoption.ts, clone.ts) and are registered here too.
import type { Conventions } from "../api/conventions.ts";
import { ApiError, invalid } from "../api/errors.ts";
import { kindByPlural } from "../api/kinds.ts";
import { DNS1123_LABEL } from "../api/meta.ts";
import type { VirtualMachine } from "../api/virtualmachine.ts";
import type { AdoptionService } from "../controllers/adoption/service.ts";
import type { ProviderClients } from "../controllers/provider/clients.ts";
import { providerTenancyRefusal } from "../controllers/provider/tenancy-lookup.ts";
import { cloneVirtualMachine } from "../controllers/virtualmachine/clone.ts";
import { DELETE_DISKS_ANNOTATION, ORPHAN_ANNOTATION } from "../controllers/virtualmachine/decide.ts";
import type { EventRecorder } from "../runtime/events.ts";
import type { DeleteHook, RouteHelpers } from "../server/types.ts";
import type { ResourceStore } from "../store/types.ts";

const BASE = "/apis/landfall.dev/v1beta1/namespaces/:ns";

/**
 * `delete vm --cascade=orphan` forgets the resource and leaves the domain; `--delete-disks` removes disks too.
 * The annotations are written at the revision the server checked, so a concurrent change fails the delete
 * and writes nothing.
 */
export function virtualMachineDeleteHook(store: ResourceStore): DeleteHook {
  return async (obj, request) => {
    const annotations: Record<string, string> = {};
    if (request.propagationPolicy === "Orphan") annotations[ORPHAN_ANNOTATION] = "true";
    if (request.deleteDisks) annotations[DELETE_DISKS_ANNOTATION] = "true";
    if (Object.keys(annotations).length === 0) return undefined;
    return store.update({ ...obj, metadata: { ...obj.metadata, annotations: { ...(obj.metadata.annotations ?? {}), ...annotations } } });
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
      const refused = await providerTenancyRefusal(store, vm);
      if (refused) throw new ApiError("Forbidden", `cannot restart VirtualMachine "${params.ns}/${params.name}": ${refused.message}`);
      const uuid = vm.status?.providerID;
      if (!uuid) throw new ApiError("Conflict", `VirtualMachine "${params.name}" has no domain yet (status.providerID is empty); wait until it is Running`);
      const { client } = await clients.targetByRef(vm.spec.providerRef, params.ns);
      const domain = await client.getVM({ uuid });
      await client.setPower(uuid, domain?.state === "running" ? "reboot" : "start");
      return { kind: "Status", status: "Success", message: `VirtualMachine "${params.name}" ${domain?.state === "running" ? "rebooting" : "starting"}` };
    },
  });
}

export function registerVMActionRoutes(helpers: RouteHelpers, deps: { store: ResourceStore; clients: ProviderClients; adoption: AdoptionService; conventions: Conventions; events: EventRecorder }): void {
  helpers.jsonRoute({
    method: "POST",
    url: `${BASE}/providers/:name/adopt`,
    handler: async ({ params, body }) => {
      const req = (body ?? {}) as { vm?: unknown; plan?: unknown };
      if (typeof req.vm !== "string" || req.vm === "") throw invalid("Adoption", params.name, [{ field: "vm", message: "name or UUID of the VM to adopt is required" }]);
      if (req.plan !== undefined && typeof req.plan !== "string") throw invalid("Adoption", params.name, [{ field: "plan", message: "must be a string" }]);
      return deps.adoption.adopt(params.ns, params.name, req.vm, req.plan as string | undefined);
    },
  });
  helpers.jsonRoute({
    method: "POST",
    url: `${BASE}/virtualmachines/:name/unadopt`,
    handler: async ({ params }) => deps.adoption.unadopt(params.ns, params.name),
  });
  helpers.jsonRoute({
    method: "POST",
    url: `${BASE}/virtualmachines/:name/clone`,
    handler: async ({ params, body }) => {
      const req = (body ?? {}) as { name?: unknown; powerOn?: unknown };
      if (typeof req.name !== "string" || !new RegExp(DNS1123_LABEL).test(req.name) || req.name.length > 63) {
        throw invalid("VirtualMachine", params.name, [{ field: "name", message: `${JSON.stringify(req.name)} is not a valid name for the clone: use lower-case letters, digits and '-' (DNS-1123 label)` }]);
      }
      return cloneVirtualMachine(deps, params.ns, params.name, req.name, req.powerOn === true);
    },
  });
  helpers.jsonRoute({
    method: "GET",
    url: `${BASE}/:plural/:name/events`,
    handler: async ({ params }) => {
      const info = kindByPlural(params.plural);
      if (!info) throw new ApiError("NotFound", `unknown resource type "${params.plural}"`);
      return { kind: "EventList", items: deps.events.eventsFor(info.kind, params.ns, params.name).map((e) => ({ ...e, timestamp: e.lastTimestamp })) };
    },
  });
}
