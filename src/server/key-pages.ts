// Pages of a list the server computes (not a store collection): the items sorted by a key, a page is the items
// after the previous page's last key. A continue token names that key, so a page stays right when items are
// added or removed between requests (an offset would skip or repeat them).
import { ApiError } from "../api/errors.ts";

/** The largest page one request may ask for. */
export const MAX_PAGE = 5_000;

export interface KeyPage<T> {
  items: T[];
  /** Set when more items remain: pass it back as `continue`. */
  continue?: string;
  /** How many items follow this page (as Kubernetes' ListMeta.remainingItemCount). */
  remainingItemCount?: number;
}

/** `?limit=`: absent or "" for no limit; otherwise an integer from 1 to MAX_PAGE. */
export function parseLimit(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) throw new ApiError("BadRequest", `limit "${value}" must be a whole number from 1 to ${MAX_PAGE} (items per page)`);
  return n;
}

export const continueToken = (key: string): string => Buffer.from(JSON.stringify({ after: key })).toString("base64url");

function keyOfToken(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { after?: unknown };
    if (typeof parsed.after === "string") return parsed.after;
  } catch {
    // reported below
  }
  throw new ApiError("BadRequest", `continue "${token}" is not a token this list gave out: pass back metadata.continue of the previous page, or omit it for the first page`);
}

/** Compares keys as bytes (code units), the order SQLite's ORDER BY gives the store's lists. */
export const compareKeys = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The page of `sorted` (ascending by keyOf, keys unique) after `token`'s key, at most `limit` long. */
export function pageAfterKey<T>(sorted: readonly T[], keyOf: (item: T) => string, limit: number | undefined, token: string | undefined): KeyPage<T> {
  let start = 0;
  if (token) {
    const after = keyOfToken(token);
    // The first item whose key sorts after the token's (binary search: the list may hold 10,000 items).
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(keyOf(sorted[mid]), after) <= 0) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  }
  const end = limit === undefined ? sorted.length : Math.min(sorted.length, start + limit);
  const items = sorted.slice(start, end);
  if (end >= sorted.length || items.length === 0) return { items };
  return { items, continue: continueToken(keyOf(items[items.length - 1])), remainingItemCount: sorted.length - end };
}
