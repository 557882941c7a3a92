// Watch streams: newline-delimited JSON events (Kubernetes watch format), or Server-Sent Events for browsers
// (Accept: text/event-stream). Secret values are redacted in every event.
import type { FastifyReply, FastifyRequest } from "fastify";
import { ApiError, isApiError } from "../api/errors.ts";
import type { KindInfo } from "../api/kinds.ts";
import { API_VERSION, type KubeObject } from "../api/meta.ts";
import type { ResourceStore, WatchEvent } from "../store/types.ts";
import { drained } from "./drain.ts";
import { type EncodedEvents, eventKey } from "./encoded-events.ts";
import { redactSecret } from "./redact.ts";
import { toApiError } from "./status.ts";

/** Open watches, aborted when the server closes so close() does not wait on them. */
export type WatchRegistry = Set<AbortController>;

/** How long to wait for the store to reject a too-old resourceVersion before the stream starts (then 410 is a Status). */
const EARLY_ERROR_WINDOW_MS = 50;
const SSE_HEARTBEAT_MS = 15_000;
/** How long an ended watch's unread tail (at most a socket buffer and the final Status) is kept for its client. */
const UNREAD_CLOSE_GRACE_MS = 10_000;

export const wantsEventStream = (accept: string | undefined): boolean => (accept ?? "").toLowerCase().includes("text/event-stream");

/** `fieldSelector=metadata.name=NAME` is the one field selector supported (kubectl wait uses it). */
export function parseFieldSelector(value: string | undefined): { name?: string } {
  if (!value) return {};
  const m = /^metadata\.name==?([a-z0-9]([-a-z0-9]*[a-z0-9])?)$/.exec(value);
  if (!m) throw new ApiError("BadRequest", `fieldSelector ${JSON.stringify(value)} is not supported; use metadata.name=NAME`);
  return { name: m[1] };
}

export function formatNdjson(type: string, object: unknown): string {
  return `${JSON.stringify({ type, object })}\n`;
}

export function formatSse(type: string, object: unknown, id?: string): string {
  return `${id ? `id: ${id}\n` : ""}event: ${type}\ndata: ${JSON.stringify(object)}\n\n`;
}

type Settled<T> = { value: IteratorResult<T> } | { error: unknown };
const settle = <T>(p: Promise<IteratorResult<T>>): Promise<Settled<T>> => p.then((value) => ({ value }), (error) => ({ error }));

export interface WatchOptions {
  /** Only events of objects in these namespaces (a namespaced token watching across namespaces). */
  namespaces?: readonly string[];
  /** How to send each object (e.g. as a one-row Table); `first` is true for the first event sent. */
  render?: (obj: KubeObject, first: boolean) => unknown;
  /** How often a watch with `allowWatchBookmarks=true` gets a BOOKMARK (default one minute, as Kubernetes). */
  bookmarkIntervalMs?: number;
  /** How long a client may leave sent events unread before its watch is dropped with 410 Expired (default 10 s). */
  slowClientTimeoutMs?: number;
  /** Events encoded once for all watchers (not used for rendered events: a Table is per request). */
  encoded?: EncodedEvents;
}

export const DEFAULT_BOOKMARK_INTERVAL_MS = 60_000;
export const DEFAULT_SLOW_CLIENT_TIMEOUT_MS = 10_000;

/** The Status a watch ends with when its client stopped reading: list again, then watch from the list. */
export const slowClientError = (info: KindInfo, timeoutMs: number): ApiError =>
  new ApiError("Expired", `watch of ${info.plural} dropped: the client left sent events unread for ${timeoutMs} ms; list again and watch from the list's resourceVersion`, { kind: info.kind });

/** A BOOKMARK event's object: only the kind and the revision the client may resume from. */
export const bookmarkObject = (info: KindInfo, apiVersion: string, resourceVersion: string) => ({ kind: info.kind, apiVersion, metadata: { resourceVersion } });

export async function serveWatch(
  req: FastifyRequest,
  reply: FastifyReply,
  store: ResourceStore,
  info: KindInfo,
  namespace: string | undefined,
  watches: WatchRegistry,
  opts: WatchOptions = {},
): Promise<void> {
  const { namespaces, render } = opts;
  const q = req.query as Record<string, string | undefined>;
  const sse = wantsEventStream(req.headers.accept);
  const { name } = parseFieldSelector(q.fieldSelector);
  const lastEventId = req.headers["last-event-id"];
  const resourceVersion = q.resourceVersion || (sse && typeof lastEventId === "string" ? lastEventId : undefined);
  const timeoutSeconds = q.timeoutSeconds ? Number(q.timeoutSeconds) : undefined;
  if (timeoutSeconds !== undefined && !(timeoutSeconds > 0)) throw new ApiError("BadRequest", `timeoutSeconds ${JSON.stringify(q.timeoutSeconds)} must be a positive number`);

  const abort = new AbortController();
  // Listened for before the first await: a client that leaves during the early window below must still end the
  // watch (otherwise its store iterator stays parked until the next event of the kind, or forever).
  reply.raw.once("close", () => abort.abort());
  const bookmarks = !sse && (q.allowWatchBookmarks === "true" || q.allowWatchBookmarks === "1");
  // Bookmarks name the last revision this watch delivered or a revision before it started: resuming there
  // loses nothing. Without a starting revision, the store's current one is read before the watch begins.
  let delivered = resourceVersion && resourceVersion !== "0" ? resourceVersion : bookmarks ? (await store.list(info.kind, { limit: 1 })).resourceVersion : "0";
  // Stores may reject a bad start (Gone, BadRequest) right here, before anything is registered or sent.
  const iterator = store.watch(info.kind, { namespace, labelSelector: q.labelSelector || undefined, resourceVersion, signal: abort.signal })[Symbol.asyncIterator]();
  watches.add(abort);

  // A too-old resourceVersion must answer 410 as a Status, not as a stream that fails after 200 OK.
  let pending = settle(iterator.next());
  const early = await Promise.race([pending, new Promise<undefined>((r) => setTimeout(r, EARLY_ERROR_WINDOW_MS))]);
  if (early && "error" in early) {
    watches.delete(abort);
    abort.abort();
    throw early.error;
  }

  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    "content-type": sse ? "text/event-stream" : "application/json",
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
    ...(sse ? { "x-accel-buffering": "no" } : {}),
  });
  res.write(sse ? ": watching\n\n" : "");
  const timers: NodeJS.Timeout[] = [];
  if (sse) timers.push(setInterval(() => res.write(": ping\n\n"), SSE_HEARTBEAT_MS));
  if (timeoutSeconds) timers.push(setTimeout(() => abort.abort(), timeoutSeconds * 1000));

  let sent = 0;
  if (bookmarks) {
    const apiVersion = info.core && req.url.startsWith("/api/") ? "v1" : API_VERSION;
    timers.push(setInterval(() => write("BOOKMARK", bookmarkObject(info, apiVersion, delivered)), opts.bookmarkIntervalMs ?? DEFAULT_BOOKMARK_INTERVAL_MS));
  }
  const write = (type: string, object: unknown, id?: string) => res.write(sse ? formatSse(type, object, id) : formatNdjson(type, object));
  const slowAfter = opts.slowClientTimeoutMs ?? DEFAULT_SLOW_CLIENT_TIMEOUT_MS;
  try {
    for (;;) {
      const step = await pending;
      if ("error" in step) throw step.error;
      if (step.value.done || abort.signal.aborted) break;
      const event = step.value.value as WatchEvent<KubeObject>;
      const inScope = namespaces === undefined || namespaces.includes(event.object.metadata.namespace ?? "");
      if (inScope && (!name || event.object.metadata.name === name)) {
        const safe = redactSecret(event.object);
        const rv = event.object.metadata.resourceVersion;
        const taken =
          opts.encoded && !render && rv
            ? res.write(opts.encoded.get(eventKey(info.kind, rv, event.type, sse ? "sse" : "ndjson"), () => (sse ? formatSse(event.type, safe, rv) : formatNdjson(event.type, safe))))
            : write(event.type, render ? render(safe, sent === 0) : safe, rv);
        sent++;
        // The next event is read from the store only once the client has taken this one: a slow reader costs
        // one socket buffer. One that reads nothing for too long is dropped, as Kubernetes drops slow watchers.
        if (!taken && !(await drained(res, slowAfter))) throw slowClientError(info, slowAfter);
      }
      if (event.object.metadata.resourceVersion) delivered = event.object.metadata.resourceVersion;
      pending = settle(iterator.next());
    }
  } catch (err) {
    // After 200 OK the only way to report is in-band, as Kubernetes does: an ERROR event carrying a Status.
    if (!abort.signal.aborted || !isAbort(err)) write("ERROR", toApiError(err).toStatus());
  } finally {
    for (const t of timers) clearInterval(t);
    watches.delete(abort);
    abort.abort();
    // Not awaited: a generator still parked in next() settles once the aborted signal wakes it.
    iterator.return?.().catch(() => undefined);
    res.end();
    // A client that reads nothing would hold what is still buffered for as long as its connection lives.
    if (res.writableLength > 0) setTimeout(() => res.destroy(), UNREAD_CLOSE_GRACE_MS).unref();
  }
}

const isAbort = (err: unknown): boolean => (err as Error)?.name === "AbortError" || isApiError(err, "Timeout");
