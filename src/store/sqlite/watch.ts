// Watch on the sqlite store: replays the event history strictly after a revision, then follows new events.
// Each watcher pages through the events table at its own pace, so memory stays bounded and writers never wait;
// a watcher that falls behind the kept history gets ApiError Gone and must list again.
import { ApiError } from "../../api/errors.ts";
import type { KubeObject } from "../../api/meta.ts";
import { eventThroughSelector } from "../event-filter.ts";
import { labelSelectorMatcher, type Labels } from "../selector.ts";
import type { WatchEvent, WatchOptions } from "../types.ts";
import type { ObjectCodec } from "./codec.ts";
import type { StoreDatabase } from "./database.ts";
import type { Wakeups } from "./wakeups.ts";

const PAGE = 100;

export interface WatchDeps {
  db: StoreDatabase;
  codec: ObjectCodec;
  wakeups: Wakeups;
}

function gone(kind: string, rv: number, compacted: number, revision: number): ApiError {
  const why =
    rv > revision ? `is newer than the store's revision ${revision}` : `is older than the kept history (compacted up to ${compacted})`;
  return new ApiError("Gone", `too old resource version: watch of ${kind} from ${rv} ${why}; list again and watch from the list's resourceVersion`, {
    kind,
  });
}

export function parseRevision(value: string, field: string): number {
  if (!/^\d{1,15}$/.test(value)) {
    throw new ApiError("BadRequest", `${field} "${value}" is not a revision; pass the resourceVersion of a list or an event`);
  }
  return Number(value);
}

/**
 * Validates the start eagerly (a Gone or BadRequest is thrown by this call, before any iteration), then returns
 * the event stream. resourceVersion "0" starts with a synthetic ADDED per existing object, as Kubernetes does.
 */
export function watchKind(deps: WatchDeps, kind: string, options: WatchOptions = {}): AsyncIterable<WatchEvent> {
  const { db, codec, wakeups } = deps;
  const matches = labelSelectorMatcher(options.labelSelector);
  const namespace = options.namespace || undefined; // "" means all namespaces, as omitted does
  const initial: WatchEvent[] = [];
  let cursor = db.revision();
  if (options.resourceVersion === "0") {
    for (const row of db.list(kind, namespace, undefined, Number.MAX_SAFE_INTEGER)) {
      const object = codec.decode(row.body);
      if (matches(object.metadata.labels)) initial.push({ type: "ADDED", object });
    }
  } else if (options.resourceVersion !== undefined && options.resourceVersion !== "") {
    const from = parseRevision(options.resourceVersion, "resourceVersion");
    if (from < db.compacted(kind) || from > cursor) throw gone(kind, from, db.compacted(kind), cursor);
    cursor = from;
  }
  const signal = options.signal;

  async function* events(): AsyncGenerator<WatchEvent> {
    yield* initial;
    while (!signal?.aborted && !wakeups.closed) {
      if (cursor < db.compacted(kind)) throw gone(kind, cursor, db.compacted(kind), db.revision());
      const rows = db.eventsAfter(kind, namespace, cursor, PAGE);
      if (rows.length === 0) {
        // Caught up to the current revision (same tick as the query, so no write slips in between).
        cursor = db.revision();
        await wakeups.next(kind, signal);
        continue;
      }
      for (const row of rows) {
        cursor = row.rv;
        const object = codec.decode(row.body) as KubeObject;
        const previous = row.prevLabels === null ? undefined : (JSON.parse(row.prevLabels) as Labels);
        const type = eventThroughSelector(row.type, object.metadata.labels, previous, matches);
        if (type !== undefined) yield { type, object };
        if (signal?.aborted || wakeups.closed) return;
      }
    }
  }
  return events();
}
