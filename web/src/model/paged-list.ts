// A list read page by page (limit/continue) and kept live by one watch: events change the page holding the
// object, or the page its key falls into; an object beyond what is loaded arrives with a later page instead.
import type { Named } from "./objects.ts";
import { applyWatchEvent, type CachedList, type WatchEventType } from "./watch-events.ts";

/** The server's order: (namespace, name), compared as bytes (SQLite's ORDER BY namespace, name). */
export function compareObjects(a: Named, b: Named): number {
  const na = a.metadata.namespace ?? "";
  const nb = b.metadata.namespace ?? "";
  if (na !== nb) return na < nb ? -1 : 1;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

const same = (a: Named, b: Named): boolean => compareObjects(a, b) === 0;

/** Pages may carry more than items and metadata (e.g. the Imported VMs list's records): every field is kept. */
export function applyWatchEventToPages<T extends Named, P extends CachedList<T> = CachedList<T>>(pages: readonly P[], type: WatchEventType, object: T): P[] {
  const holding = pages.findIndex((p) => p.items.some((o) => same(o, object)));
  if (holding >= 0) return pages.map((p, i) => (i === holding ? applyWatchEvent<T, P>(p, type, object) : p));
  if (type === "DELETED" || pages.length === 0) return [...pages];
  // Not loaded: it belongs to the first page whose last object sorts after it, or to the last page when the list is complete.
  const last = pages.length - 1;
  const into = pages.findIndex((p, i) => (p.items.length > 0 && compareObjects(object, p.items[p.items.length - 1]) < 0) || (i === last && p.metadata.continue === undefined));
  if (into < 0) return [...pages];
  return pages.map((p, i) => {
    if (i !== into) return p;
    const items = [...p.items];
    const at = items.findIndex((o) => compareObjects(object, o) < 0);
    items.splice(at < 0 ? items.length : at, 0, object);
    return { ...p, items };
  });
}

export const flattenPages = <T extends Named>(pages: readonly CachedList<T>[]): T[] => pages.flatMap((p) => p.items);
