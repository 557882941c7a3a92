// Data hooks: lists kept live by one SSE watch each (events applied to the cache, no polling loop), a slow
// fallback refetch, and mutations that surface the server's error message.
import { type UseQueryResult, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { applyWatchEvent, type CachedList, mergeListSnapshot, type WatchEventType } from "../model/watch-events.ts";
import type { Named } from "../model/objects.ts";
import { collectionPath, isUnauthorized } from "./client.ts";
import { useApi, useSession } from "./session.tsx";

/** Fallback refetch; live changes arrive through the watch. */
const FALLBACK_REFETCH_MS = 10_000;
/** Pause before reopening a watch the server closed (e.g. 410 Gone after a long sleep). */
const REWATCH_DELAY_MS = 2_000;

export const listKey = (plural: string) => ["list", plural] as const;

/** Ends the session on 401 so a rejected token leads back to the login page with the server's message. */
function useUnauthorizedLogout(error: unknown): void {
  const { logout } = useSession();
  useEffect(() => {
    if (isUnauthorized(error)) logout((error as Error).message);
  }, [error, logout]);
}

/** A list across all namespaces; `live` keeps it current with a Server-Sent Events watch. */
export function useResourceList<T extends Named>(plural: string, opts: { live?: boolean } = {}): UseQueryResult<CachedList<T>> {
  const api = useApi();
  const queryClient = useQueryClient();
  const query = useQuery({
    queryKey: listKey(plural),
    queryFn: () => api.get<CachedList<T>>(collectionPath(plural)),
    refetchInterval: FALLBACK_REFETCH_MS,
    // A re-read never puts back an object older than one the watch already applied.
    structuralSharing: (old, fresh) => mergeListSnapshot(old as CachedList<T> | undefined, fresh as CachedList<T>),
  });
  useUnauthorizedLogout(query.error);

  const live = opts.live ?? false;
  const [watchGeneration, setWatchGeneration] = useState(0);
  const ready = query.data !== undefined;
  // biome-ignore lint/correctness/useExhaustiveDependencies: watchGeneration reopens a watch the server ended
  useEffect(() => {
    if (!live || !ready) return;
    const since = queryClient.getQueryData<CachedList<T>>(listKey(plural))?.metadata.resourceVersion ?? "0";
    const source = new EventSource(api.watchUrl(collectionPath(plural), since));
    const apply = (type: WatchEventType) => (e: MessageEvent<string>) => {
      const object = JSON.parse(e.data) as T;
      queryClient.setQueryData<CachedList<T>>(listKey(plural), (old) => (old ? applyWatchEvent(old, type, object) : old));
    };
    for (const type of ["ADDED", "MODIFIED", "DELETED"] as const) source.addEventListener(type, apply(type) as EventListener);
    let retry: ReturnType<typeof setTimeout> | undefined;
    const restart = () => {
      source.close();
      void queryClient.invalidateQueries({ queryKey: listKey(plural) });
      retry = setTimeout(() => setWatchGeneration((g) => g + 1), REWATCH_DELAY_MS);
    };
    // An in-band ERROR (e.g. 410 Gone): list again and watch from the fresh resourceVersion.
    source.addEventListener("ERROR", restart);
    // EventSource reconnects by itself (with Last-Event-ID) unless the server refused the stream outright.
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) restart();
    };
    return () => {
      clearTimeout(retry);
      source.close();
    };
  }, [api, plural, live, ready, queryClient, watchGeneration]);
  return query;
}

/** A one-off GET (inventory, events) keyed by its path. */
export function useGet<T>(path: string | null, opts: { refetchMs?: number } = {}): UseQueryResult<T> {
  const api = useApi();
  const query = useQuery({
    queryKey: ["get", path],
    queryFn: () => api.get<T>(path as string),
    enabled: path !== null,
    refetchInterval: opts.refetchMs ?? false,
  });
  useUnauthorizedLogout(query.error);
  return query;
}

/** A write whose error stays visible (mutation.error) and whose success refreshes the given lists. */
export function useAction<V, R = unknown>(run: (vars: V) => Promise<R>, refresh: string[]) {
  const queryClient = useQueryClient();
  const { logout } = useSession();
  return useMutation({
    mutationFn: run,
    onSuccess: () => {
      for (const plural of refresh) void queryClient.invalidateQueries({ queryKey: listKey(plural) });
    },
    onError: (err) => {
      if (isUnauthorized(err)) logout(err.message);
    },
  });
}
