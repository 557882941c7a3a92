// A source Provider's inventory page by page: search and power state filtered on the server, over its cached
// read of the hypervisor (read again on "Refresh"); the next page is read as the table scrolls near the end.
import { useInfiniteQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import type { SourceInventoryPage } from "./inventory.ts";
import { useApi } from "./session.tsx";

/** Rows in the first page: a screenful and a margin. */
const FIRST_PAGE = 100;

export interface InventoryFilter {
  /** Case-insensitive substring of the name or guest OS; "" for any. */
  search: string;
  /** poweredOn, poweredOff, suspended; "" for any. */
  power: string;
}

/** `refreshes`: how often the user asked to read the hypervisor again; a change reads it (refresh=true). */
export function useInventoryPages(providerPath: string | null, filter: InventoryFilter, pageSize: number, refreshes: number) {
  const api = useApi();
  const query = useInfiniteQuery({
    queryKey: ["inventory", providerPath, filter.search, filter.power, pageSize, refreshes],
    enabled: providerPath !== null,
    initialPageParam: "",
    queryFn: ({ pageParam }) => {
      const q = new URLSearchParams({ limit: String(pageParam ? pageSize : Math.min(pageSize, FIRST_PAGE)) });
      if (filter.search.trim()) q.set("search", filter.search.trim());
      if (filter.power) q.set("power", filter.power);
      if (pageParam) q.set("continue", pageParam);
      else if (refreshes > 0) q.set("refresh", "true");
      return api.get<SourceInventoryPage>(`${providerPath}/vms?${q}`);
    },
    getNextPageParam: (last) => last.metadata.continue || undefined,
    staleTime: Number.POSITIVE_INFINITY,
  });
  const data = query.data;
  const items = useMemo(() => (data ? data.pages.flatMap((p) => p.items) : []), [data]);
  return { query, items };
}
