// GET …/importedvms (every namespace the caller may read) and …/namespaces/NS/importedvms: the Imported VMs list
// in pages (limit/continue), with a label selector, a plan and a source type filter. The VMs are read by one
// store list per adoption prefix (and namespace), merged as far as the page needs (server/merged-pages.ts);
// each page carries the tracking records of its VMs (one ConfigMap read per VM considered) and the store
// revision to watch VirtualMachines from.
import type { FastifyInstance } from "fastify";
import { ApiError, isApiError } from "../api/errors.ts";
import type { ConfigMap } from "../api/configmap.ts";
import type { KubeObject } from "../api/meta.ts";
import { adoptedSelectors, type ImportedRecord, importedKey, importedRecord, matchesImported, recordName } from "../controllers/adoption/imported-list.ts";
import { parseLimit } from "../server/key-pages.ts";
import { mergedPage } from "../server/merged-pages.ts";
import type { RouteHelpers } from "../server/types.ts";
import type { ResourceStore } from "../store/types.ts";

const GROUP = "/apis/landfall.dev/v1beta1";

export interface ImportedVMList {
  apiVersion: "landfall.dev/v1beta1";
  kind: "ImportedVMList";
  metadata: { resourceVersion: string; continue?: string };
  /** The VirtualMachines of this page, as stored. */
  items: KubeObject[];
  /** Tracking record of each item, keyed "namespace/name". */
  records: Record<string, ImportedRecord>;
}

export async function listImportedVMs(store: ResourceStore, namespaces: readonly (string | undefined)[], query: Record<string, string | undefined>): Promise<ImportedVMList> {
  const limit = parseLimit(query.limit);
  const filter = { plan: query.plan ?? "", sourceType: query.sourceType ?? "" };
  // One store list per namespace and adoption prefix, merged in (namespace, name) order.
  const lists = namespaces.flatMap((namespace) => adoptedSelectors(query.labelSelector ?? "").map((labelSelector) => ({ namespace, labelSelector })));
  const records = new Map<string, ImportedRecord>();
  const keep = async (vm: KubeObject): Promise<boolean> => {
    const namespace = vm.metadata.namespace ?? "";
    const configMap = await store.get<ConfigMap>("ConfigMap", namespace, recordName(vm)).catch((err: unknown) => {
      if (isApiError(err, "NotFound")) return undefined;
      throw err;
    });
    const record = importedRecord(vm, configMap);
    if (!matchesImported(record, filter)) return false;
    records.set(`${namespace}/${vm.metadata.name}`, record);
    return true;
  };
  const page = await mergedPage(lists.length, (i, from, chunk) => store.list("VirtualMachine", { ...lists[i], limit: chunk, continue: from || undefined }), importedKey, keep, limit, query.continue || undefined, limit === undefined ? 500 : Math.min(limit + 1, 500));
  return {
    apiVersion: "landfall.dev/v1beta1",
    kind: "ImportedVMList",
    metadata: { resourceVersion: page.resourceVersion, ...(page.continue ? { continue: page.continue } : {}) },
    items: page.items,
    records: Object.fromEntries(page.items.map((vm) => [`${vm.metadata.namespace ?? ""}/${vm.metadata.name}`, records.get(`${vm.metadata.namespace ?? ""}/${vm.metadata.name}`) ?? {}])),
  };
}

export function registerImportedVMRoutes(app: FastifyInstance, helpers: RouteHelpers, store: ResourceStore): void {
  // Across namespaces: a token limited to namespaces reads those (as every cross-namespace list does).
  app.route({
    method: "GET",
    url: `${GROUP}/importedvms`,
    config: { access: { level: "reader", resource: "importedvms" } },
    handler: async (req) => {
      if (!req.principal) throw new ApiError("InternalError", `GET ${GROUP}/importedvms reached without an authenticated caller`);
      return listImportedVMs(store, req.principal.namespaces ?? [undefined], req.query as Record<string, string>);
    },
  });
  helpers.jsonRoute({
    method: "GET",
    url: `${GROUP}/namespaces/:ns/importedvms`,
    handler: async ({ params, query }) => listImportedVMs(store, [params.ns], query),
  });
}
