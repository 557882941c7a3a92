// Lists read page by page (limit/continue) with server-side filters, kept live by Server-Sent Events watches
// whose events are applied to the loaded pages: nothing is refetched. usePagedList reads a collection
// (namespace, label selector); useImportedVMs (imported.ts) reads the Imported VMs list with its own watches.
import { type InfiniteData, useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { applyWatchEventToPages, flattenPages } from "../model/paged-list.ts";
import type { Named } from "../model/objects.ts";
import type { CachedList, WatchEventType } from "../model/watch-events.ts";
import { collectionPath } from "./client.ts";
import { useApi } from "./session.tsx";

const REWATCH_DELAY_MS = 2_000;
/** Rows in the first page: a screenful and a margin. */
export const FIRST_PAGE = 100;

export interface PagedFilter {
  /** "" for every namespace. */
  namespace: string;
  /** Kubernetes label selector, "" for none. */
  labelSelector: string;
}

export interface PagedSource<T extends Named, P extends CachedList<T>> {
  /** The query key; one starting with listKey(plural) is refetched whole after a write naming that plural. */
  queryKey: readonly unknown[];
  /** The page after `cont` ("" for the first), at most `limit` long. */
  page: (cont: string, limit: number) => Promise<P>;
  /** Watch URLs (EventSource) from the first page's resourceVersion on. */
  watchUrls: (resourceVersion: string) => string[];
  /** The pages after one watch event. */
  apply: (pages: P[], type: WatchEventType, object: T) => P[];
}

export function usePaged<T extends Named, P extends CachedList<T>>(source: PagedSource<T, P>, pageSize: number) {
  const queryClient = useQueryClient();
  const { queryKey } = source;
  const query = useInfiniteQuery({
    queryKey,
    initialPageParam: "",
    // A small first page paints sooner; later pages are full size.
    queryFn: ({ pageParam }) => source.page(pageParam, pageParam ? pageSize : Math.min(pageSize, FIRST_PAGE)),
    getNextPageParam: (last) => last.metadata.continue || undefined,
    // The watch keeps the pages current; a refetch would re-read every loaded page.
    staleTime: Number.POSITIVE_INFINITY,
  });
  const [generation, setGeneration] = useState(0);
  const since = query.data?.pages[0]?.metadata.resourceVersion;
  const urls = since === undefined ? [] : source.watchUrls(since);
  // The query key too: two filters can watch the same URLs from the same revision, and events must reach the
  // pages (and the filter) shown now.
  const watchKey = JSON.stringify([queryKey, urls]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: watchKey stands for urls and the query key; generation reopens an ended watch
  useEffect(() => {
    if (urls.length === 0) return;
    const sources = urls.map((url) => new EventSource(url));
    const apply = (type: WatchEventType) => (e: MessageEvent<string>) => {
      const object = JSON.parse(e.data) as T;
      queryClient.setQueryData<InfiniteData<P, string>>(queryKey, (old) => (old ? { ...old, pages: source.apply(old.pages, type, object) } : old));
    };
    let retry: ReturnType<typeof setTimeout> | undefined;
    const restart = () => {
      for (const s of sources) s.close();
      void queryClient.resetQueries({ queryKey });
      retry = setTimeout(() => setGeneration((g) => g + 1), REWATCH_DELAY_MS);
    };
    for (const s of sources) {
      for (const type of ["ADDED", "MODIFIED", "DELETED"] as const) s.addEventListener(type, apply(type) as EventListener);
      s.addEventListener("ERROR", restart);
      s.onerror = () => {
        if (s.readyState === EventSource.CLOSED) restart();
      };
    }
    return () => {
      clearTimeout(retry);
      for (const s of sources) s.close();
    };
  }, [watchKey, queryClient, generation]);
  const data = query.data;
  // One flat array per change of the pages (not per render): scrolling re-renders without copying 10,000 rows.
  const items = useMemo(() => (data ? flattenPages(data.pages) : []), [data]);
  return { query, items };
}

export function usePagedList<T extends Named>(plural: string, filter: PagedFilter, pageSize: number) {
  const api = useApi();
  const base = collectionPath(plural, filter.namespace || undefined);
  const selector = filter.labelSelector.trim();
  const withSelector = (q: URLSearchParams) => {
    if (selector) q.set("labelSelector", selector);
    return q;
  };
  return usePaged<T, CachedList<T>>(
    {
      // Not under listKey(plural): the watch brings a write's result, a refetch would re-read every loaded page.
      queryKey: ["paged", plural, filter.namespace, selector, pageSize],
      page: (cont, limit) => {
        const q = withSelector(new URLSearchParams({ limit: String(limit) }));
        if (cont) q.set("continue", cont);
        return api.get<CachedList<T>>(`${base}?${q}`);
      },
      watchUrls: (resourceVersion) => [`${base}?${withSelector(new URLSearchParams({ watch: "true", resourceVersion }))}`],
      apply: applyWatchEventToPages,
    },
    pageSize,
  );
}
