// Pages of several sorted store lists merged into one (the Imported VMs: one label selector per adoption prefix,
// and per namespace for a token limited to namespaces), read only as far as a page needs: a page of 100 reads
// about 100 objects per list, not the whole lists. The continue token names the last key the merge consumed
// and, per list, the store token its unconsumed objects are read from again (store tokens are opaque: a list
// is re-read from the start of the store page holding its next object, skipping what was consumed).
import { ApiError } from "../api/errors.ts";
import { compareKeys } from "./key-pages.ts";

export interface StorePage<T> {
  items: T[];
  resourceVersion: string;
  continue?: string;
}

/** Reads list `index` from store token `from` ("" = its start), at most `limit` objects. */
export type ReadList<T> = (index: number, from: string, limit: number) => Promise<StorePage<T>>;

export interface MergedPage<T> {
  items: T[];
  /** The oldest store revision read: a watch from there misses nothing. */
  resourceVersion: string;
  continue?: string;
}

interface Position {
  /** Last key consumed; absent on the first page. */
  after?: string;
  /** Per list: the store token to read it from again, or null when it is exhausted. */
  from: Array<string | null>;
}

const encode = (p: Position): string => Buffer.from(JSON.stringify({ a: p.after, f: p.from })).toString("base64url");

function decode(token: string, lists: number): Position {
  try {
    const raw = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { a?: unknown; f?: unknown };
    if ((raw.a === undefined || typeof raw.a === "string") && Array.isArray(raw.f) && raw.f.length === lists && raw.f.every((f) => f === null || typeof f === "string")) {
      return { after: raw.a as string | undefined, from: raw.f as Array<string | null> };
    }
  } catch {
    // reported below
  }
  throw new ApiError("BadRequest", `continue "${token}" is not a token this list gave out (or the filters changed): pass back metadata.continue of the previous page with the same filters, or omit it`);
}

interface Cursor<T> {
  /** Read objects not yet consumed, each with the store token of the page it came in. */
  buffer: Array<{ item: T; key: string; from: string }>;
  /** Where the next store page starts; null when the list is exhausted. */
  next: string | null;
}

/**
 * The next page of at most `limit` kept objects (`keep` false: consumed but not returned, e.g. a filter), in key
 * order, each key once (an object in two lists, e.g. labelled under both prefixes, counts once).
 */
export async function mergedPage<T>(lists: number, read: ReadList<T>, keyOf: (item: T) => string, keep: (item: T) => Promise<boolean>, limit: number | undefined, token: string | undefined, chunk = 200): Promise<MergedPage<T>> {
  const start = token ? decode(token, lists) : { from: Array.from({ length: lists }, () => "") };
  const cursors: Cursor<T>[] = start.from.map((next) => ({ buffer: [], next }));
  let resourceVersion: string | undefined;
  const fill = async (i: number): Promise<void> => {
    const c = cursors[i];
    while (c.buffer.length === 0 && c.next !== null) {
      const from = c.next;
      const page = await read(i, from, chunk);
      if (resourceVersion === undefined || Number(page.resourceVersion) < Number(resourceVersion)) resourceVersion = page.resourceVersion;
      for (const item of page.items) {
        const key = keyOf(item);
        if (start.after === undefined || compareKeys(key, start.after) > 0) c.buffer.push({ item, key, from });
      }
      c.next = page.continue ?? null;
    }
  };
  const items: T[] = [];
  let last = start.after;
  for (;;) {
    for (let i = 0; i < lists; i++) await fill(i);
    let head = -1;
    for (let i = 0; i < lists; i++) {
      if (cursors[i].buffer.length > 0 && (head < 0 || compareKeys(cursors[i].buffer[0].key, cursors[head].buffer[0].key) < 0)) head = i;
    }
    if (head < 0) return { items, resourceVersion: resourceVersion ?? "0" };
    if (limit !== undefined && items.length === limit) break;
    const { item, key } = cursors[head].buffer.shift() as { item: T; key: string };
    if (last !== undefined && key === last) continue;
    last = key;
    if (await keep(item)) items.push(item);
  }
  const from = cursors.map((c) => (c.buffer.length > 0 ? c.buffer[0].from : c.next));
  return { items, resourceVersion: resourceVersion ?? "0", continue: encode({ after: last, from }) };
}
