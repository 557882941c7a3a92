// Endpoints beyond CRUD, shortcuts for clients of the embedded server: inventory, adopt, unadopt, clone and
// restart. Each runs the same function a resource drives where no custom routes exist (operator mode, kubectl,
// GitOps): VMAction (src/controllers/vmaction/) for inventory, adopt, unadopt and clone — the route runs it now
// and answers with its result — and the restart-requested-at annotation for restart. `adopt?dryRun=All` decides and
// checks as adopt does and answers the adoption preview (controllers/adoption/preview.ts) without writing.
import type { Conventions } from "../api/conventions.ts";
import { ApiError, invalid } from "../api/errors.ts";
import { kindByPlural } from "../api/kinds.ts";
import { DNS1123_LABEL } from "../api/meta.ts";
import type { VirtualMachine } from "../api/virtualmachine.ts";
import { adoptionPreview } from "../controllers/adoption/preview.ts";
import type { AdoptionService } from "../controllers/adoption/service.ts";
import type { ProviderClients } from "../controllers/provider/clients.ts";
import { providerTenancyRefusal } from "../controllers/provider/tenancy-lookup.ts";
import { providerInventory } from "../controllers/provider/inventory.ts";
import type { InventoryCache } from "../controllers/provider/inventory-cache.ts";
import { inventoryPage } from "../controllers/provider/inventory-page.ts";
import { cloneVirtualMachine } from "../controllers/virtualmachine/clone.ts";
import { DELETE_DISKS_ANNOTATION, ORPHAN_ANNOTATION, RESTART_ANNOTATION } from "../controllers/virtualmachine/decide.ts";
import type { EventRecorder } from "../runtime/events.ts";
import { patchObject } from "../runtime/status.ts";
import { parseDryRun } from "../server/dry-run.ts";
import { parseLimit } from "../server/key-pages.ts";
import type { DeleteHook, RouteHelpers } from "../server/types.ts";
import type { ResourceStore } from "../store/types.ts";

const BASE = "/apis/landfall.dev/v1beta1/namespaces/:ns";

function parseRefresh(value: string | undefined): boolean {
  if (value === undefined || value === "" || value === "false") return false;
  if (value === "true") return true;
  throw new ApiError("BadRequest", `refresh "${value}" must be true or false`);
}

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

/** Query parameters that ask for a page of the cached inventory rather than the whole list read now. */
const PAGED_INVENTORY = ["limit", "continue", "search", "power", "refresh"];

export function registerInventoryRoutes(helpers: RouteHelpers, store: ResourceStore, clients: ProviderClients, cache: InventoryCache): void {
  // The same function VMAction "inventory" runs (src/controllers/provider/inventory.ts). With paging or filter
  // parameters it answers from the server's inventory cache (controllers/provider/inventory-cache.ts): a page,
  // when the hypervisor was read (readAt), and a continue token; refresh=true reads the hypervisor again.
  helpers.jsonRoute({
    method: "GET",
    url: `${BASE}/providers/:name/vms`,
    handler: async ({ params, query }) => {
      if (!PAGED_INVENTORY.some((p) => query[p] !== undefined)) return { apiVersion: "landfall.dev/v1beta1", ...(await providerInventory(clients, params.ns, params.name)) };
      const limit = parseLimit(query.limit);
      const refresh = parseRefresh(query.refresh);
      const { inventory, readAt } = await cache.get(await clients.provider(params.ns, params.name), { refresh, continuing: Boolean(query.continue) });
      const { kind, items, continue: cont, remainingItemCount } = inventoryPage(inventory, { search: query.search ?? "", power: query.power ?? "" }, limit, query.continue || undefined);
      return { apiVersion: "landfall.dev/v1beta1", kind, metadata: { readAt: new Date(readAt).toISOString(), ...(cont ? { continue: cont, remainingItemCount } : {}) }, items };
    },
  });

  // A shortcut to the resource mechanism kubectl and GitOps use: the route only sets RESTART_ANNOTATION and
  // the VirtualMachine controller reboots the domain (so restarts work the same where no routes exist).
  helpers.jsonRoute({
    method: "POST",
    url: `${BASE}/virtualmachines/:name/restart`,
    handler: async ({ params }) => {
      const vm = await store.get<VirtualMachine>("VirtualMachine", params.ns, params.name);
      const refused = await providerTenancyRefusal(store, vm);
      if (refused) throw new ApiError("Forbidden", `cannot restart VirtualMachine "${params.ns}/${params.name}": ${refused.message}`);
      const request = new Date().toISOString();
      await patchObject<VirtualMachine>(store, "VirtualMachine", params.ns, params.name, (o) => ({ ...o, metadata: { ...o.metadata, annotations: { ...(o.metadata.annotations ?? {}), [RESTART_ANNOTATION]: request } } }));
      return { kind: "Status", status: "Success", message: `VirtualMachine "${params.name}": restart requested (${RESTART_ANNOTATION}=${request}); the controller reboots it if it runs` };
    },
  });
}

export function registerVMActionRoutes(helpers: RouteHelpers, deps: { store: ResourceStore; clients: ProviderClients; adoption: AdoptionService; conventions: Conventions; events: EventRecorder }): void {
  helpers.jsonRoute({
    method: "POST",
    url: `${BASE}/providers/:name/adopt`,
    handler: async ({ params, query, body }) => {
      const req = (body ?? {}) as { vm?: unknown; plan?: unknown };
      if (typeof req.vm !== "string" || req.vm === "") throw invalid("Adoption", params.name, [{ field: "vm", message: "name or UUID of the VM to adopt is required" }]);
      if (req.plan !== undefined && typeof req.plan !== "string") throw invalid("Adoption", params.name, [{ field: "plan", message: "must be a string" }]);
      // ?dryRun=All: decided and checked as an adoption is, nothing written; answered with what would be.
      if (parseDryRun(query.dryRun)) {
        const { decision, live, providerType } = await deps.adoption.preview(params.ns, params.name, req.vm, req.plan as string | undefined);
        return adoptionPreview(decision, live, providerType);
      }
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
