// Applying watch events (ADDED/MODIFIED/DELETED) to a cached list, so live updates need no refetch.
import type { Named } from "./objects.ts";
import { objectKey } from "./objects.ts";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface CachedList<T extends Named> {
  metadata: { resourceVersion: string; continue?: string };
  items: T[];
}

/** resourceVersions are opaque in Kubernetes; landfall's are one global counter, so order them when numeric. */
function isOlder(candidate: string | undefined, current: string | undefined): boolean {
  if (!candidate || !current) return false;
  const a = Number(candidate);
  const b = Number(current);
  return Number.isFinite(a) && Number.isFinite(b) && a < b;
}

/**
 * The list after one event. An event older than the cached object is ignored: a fallback refetch may already
 * have brought newer state than a watch event still in flight.
 */
export function applyWatchEvent<T extends Named, L extends CachedList<T> = CachedList<T>>(list: L, type: WatchEventType, object: T): L {
  const key = objectKey(object);
  const index = list.items.findIndex((o) => objectKey(o) === key);
  const current = index >= 0 ? list.items[index] : undefined;
  if (current && isOlder(object.metadata.resourceVersion, current.metadata.resourceVersion)) return list;
  const rv = isOlder(list.metadata.resourceVersion, object.metadata.resourceVersion) ? (object.metadata.resourceVersion as string) : list.metadata.resourceVersion;
  let items: T[];
  if (type === "DELETED") items = list.items.filter((o) => objectKey(o) !== key);
  else if (index >= 0) items = list.items.map((o, i) => (i === index ? object : o));
  else items = [...list.items, object].sort((a, b) => objectKey(a).localeCompare(objectKey(b)));
  return { ...list, metadata: { ...list.metadata, resourceVersion: rv }, items };
}

/**
 * A list read again (the fallback refetch, or a refresh after a write) against what the watch already brought:
 * a re-read that started before a watch event and answered after it must not put the older state back (an
 * older Ready reason, a deleted object). The watch delivers events in revision order, so a cache whose
 * resourceVersion is newer than the re-read's holds everything the re-read does, and more: it stays.
 */
export function mergeListSnapshot<T extends Named>(cached: CachedList<T> | undefined, fresh: CachedList<T>): CachedList<T> {
  if (!cached) return fresh;
  return isOlder(fresh.metadata.resourceVersion, cached.metadata.resourceVersion) ? cached : fresh;
}
