// The Imported VMs list: pages of GET …/importedvms (label selector, plan and source type filtered on the
// server), kept live by one VirtualMachine watch per adoption prefix.
import type { VirtualMachine } from "./generated.ts";
import { adoptedSelectors, applyImportedEvent, type ImportedFilter, type ImportedVMList } from "../model/imported-vms.ts";
import { collectionPath, GROUP_PATH } from "./client.ts";
import { listKey } from "./hooks.ts";
import { usePaged } from "./paged.ts";
import { useApi } from "./session.tsx";

export const IMPORTED_PLURAL = "importedvms";

export function useImportedVMs(filter: ImportedFilter, pageSize: number) {
  const api = useApi();
  const vms = collectionPath("virtualmachines");
  return usePaged<VirtualMachine, ImportedVMList>(
    {
      // Under listKey: adopting and unadopting refresh it (a new adoption's record comes with the re-read).
      queryKey: [...listKey(IMPORTED_PLURAL), filter.labelSelector, filter.plan, filter.sourceType, pageSize],
      page: (cont, limit) => {
        const q = new URLSearchParams({ limit: String(limit) });
        if (filter.labelSelector) q.set("labelSelector", filter.labelSelector);
        if (filter.plan) q.set("plan", filter.plan);
        if (filter.sourceType) q.set("sourceType", filter.sourceType);
        if (cont) q.set("continue", cont);
        return api.get<ImportedVMList>(`${GROUP_PATH}/${IMPORTED_PLURAL}?${q}`);
      },
      watchUrls: (resourceVersion) => adoptedSelectors(filter.labelSelector).map((labelSelector) => `${vms}?${new URLSearchParams({ watch: "true", resourceVersion, labelSelector })}`),
      apply: (pages, type, vm) => applyImportedEvent(pages, type, vm, filter),
    },
    pageSize,
  );
}
