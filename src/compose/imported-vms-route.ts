// GET …/importedvms (every namespace the caller may read) and …/namespaces/NS/importedvms: the Imported VMs list
// in pages (limit/continue), with a label selector, a plan and a source type filter. The VMs are read by one
// selector per adoption prefix (controllers/adoption/imported-list.ts decides and orders); each page carries the
// tracking records of its VMs and the store revision to watch VirtualMachines from.
import type { FastifyInstance } from "fastify";
import { ApiError } from "../api/errors.ts";
import type { ConfigMap } from "../api/configmap.ts";
import type { KubeObject } from "../api/meta.ts";
import { adoptedSelectors, adoptionRecordSelectors, type ImportedRecord, importedKey, selectImported } from "../controllers/adoption/imported-list.ts";
import { pageAfterKey, parseLimit } from "../server/key-pages.ts";
import type { RouteHelpers } from "../server/types.ts";
import type { ResourceStore } from "../store/types.ts";

const GROUP = "/apis/landfall.dev/v1beta1";

export interface ImportedVMList {
  apiVersion: "landfall.dev/v1beta1";
  kind: "ImportedVMList";
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  /** The VirtualMachines of this page, as stored. */
  items: KubeObject[];
  /** Tracking record of each item, keyed "namespace/name". */
  records: Record<string, ImportedRecord>;
  /** Source types of every adopted VM the caller sees, before the filters. */
  sourceTypes: string[];
}

async function readAll<T extends KubeObject>(store: ResourceStore, kind: string, namespaces: readonly (string | undefined)[], selectors: readonly string[]) {
  const items: T[] = [];
  let resourceVersion: string | undefined;
  for (const namespace of namespaces) {
    for (const labelSelector of selectors) {
      const page = await store.list<T>(kind, { namespace, labelSelector });
      items.push(...page.items);
      // The oldest revision read: a watch from there misses nothing any read did not see.
      if (resourceVersion === undefined || Number(page.resourceVersion) < Number(resourceVersion)) resourceVersion = page.resourceVersion;
    }
  }
  return { items, resourceVersion: resourceVersion ?? "0" };
}

export async function listImportedVMs(store: ResourceStore, namespaces: readonly (string | undefined)[], query: Record<string, string | undefined>): Promise<ImportedVMList> {
  const limit = parseLimit(query.limit);
  const vms = await readAll(store, "VirtualMachine", namespaces, adoptedSelectors(query.labelSelector ?? ""));
  const configMaps = await readAll<ConfigMap>(store, "ConfigMap", namespaces, adoptionRecordSelectors());
  const { rows, sourceTypes } = selectImported(vms.items, configMaps.items, { plan: query.plan ?? "", sourceType: query.sourceType ?? "" });
  const page = pageAfterKey(rows, (r) => importedKey(r.vm), limit, query.continue || undefined);
  const metadata = { resourceVersion: vms.resourceVersion, ...(page.continue ? { continue: page.continue, remainingItemCount: page.remainingItemCount } : {}) };
  return {
    apiVersion: "landfall.dev/v1beta1",
    kind: "ImportedVMList",
    metadata,
    items: page.items.map((r) => r.vm),
    records: Object.fromEntries(page.items.map((r) => [`${r.vm.metadata.namespace ?? ""}/${r.vm.metadata.name}`, r.record])),
    sourceTypes,
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
