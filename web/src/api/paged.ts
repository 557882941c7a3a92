// A collection read page by page (limit/continue) with server-side filters (namespace, label selector), kept
// live by one Server-Sent Events watch whose events are applied to the loaded pages: nothing is refetched.
import { type InfiniteData, useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { applyWatchEventToPages, flattenPages } from "../model/paged-list.ts";
import type { Named } from "../model/objects.ts";
import type { CachedList, WatchEventType } from "../model/watch-events.ts";
import { collectionPath } from "./client.ts";
import { useApi } from "./session.tsx";

const REWATCH_DELAY_MS = 2_000;
/** Rows in the first page: a screenful and a margin. */
const FIRST_PAGE = 100;

export interface PagedFilter {
  /** "" for every namespace. */
  namespace: string;
  /** Kubernetes label selector, "" for none. */
  labelSelector: string;
}

export function usePagedList<T extends Named>(plural: string, filter: PagedFilter, pageSize: number) {
  const api = useApi();
  const queryClient = useQueryClient();
  const base = collectionPath(plural, filter.namespace || undefined);
  const selector = filter.labelSelector.trim();
  const queryKey = ["paged", plural, filter.namespace, selector, pageSize] as const;
  const query = useInfiniteQuery({
    queryKey,
    initialPageParam: "",
    queryFn: ({ pageParam }) => {
      // A small first page paints sooner; later pages are full size.
      const q = new URLSearchParams({ limit: String(pageParam ? pageSize : Math.min(pageSize, FIRST_PAGE)) });
      if (selector) q.set("labelSelector", selector);
      if (pageParam) q.set("continue", pageParam);
      return api.get<CachedList<T>>(`${base}?${q}`);
    },
    getNextPageParam: (last) => last.metadata.continue || undefined,
    // The watch keeps the pages current; a refetch would re-read every loaded page.
    staleTime: Number.POSITIVE_INFINITY,
  });
  const [generation, setGeneration] = useState(0);
  const since = query.data?.pages[0]?.metadata.resourceVersion;
  const ready = since !== undefined;
  // biome-ignore lint/correctness/useExhaustiveDependencies: queryKey is rebuilt from base/selector each render; generation reopens an ended watch
  useEffect(() => {
    if (!ready) return;
    const q = new URLSearchParams({ watch: "true", resourceVersion: since as string });
    if (selector) q.set("labelSelector", selector);
    const source = new EventSource(`${base}?${q}`);
    const apply = (type: WatchEventType) => (e: MessageEvent<string>) => {
      const object = JSON.parse(e.data) as T;
      queryClient.setQueryData<InfiniteData<CachedList<T>, string>>(queryKey, (old) => (old ? { ...old, pages: applyWatchEventToPages(old.pages, type, object) } : old));
    };
    for (const type of ["ADDED", "MODIFIED", "DELETED"] as const) source.addEventListener(type, apply(type) as EventListener);
    let retry: ReturnType<typeof setTimeout> | undefined;
    const restart = () => {
      source.close();
      void queryClient.resetQueries({ queryKey });
      retry = setTimeout(() => setGeneration((g) => g + 1), REWATCH_DELAY_MS);
    };
    source.addEventListener("ERROR", restart);
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) restart();
    };
    return () => {
      clearTimeout(retry);
      source.close();
    };
  }, [base, selector, ready, queryClient, generation]);
  const data = query.data;
  // One flat array per change of the pages (not per render): scrolling re-renders without copying 10,000 rows.
  const items = useMemo(() => (data ? flattenPages(data.pages) : []), [data]);
  return { query, items };
}
