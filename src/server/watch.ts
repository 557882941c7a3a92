// Watch streams: newline-delimited JSON events (Kubernetes watch format), or Server-Sent Events for browsers
// (Accept: text/event-stream). Secret values are redacted in every event.
import type { FastifyReply, FastifyRequest } from "fastify";
import { ApiError, isApiError } from "../api/errors.ts";
import type { KindInfo } from "../api/kinds.ts";
import type { KubeObject } from "../api/meta.ts";
import type { ResourceStore, WatchEvent } from "../store/types.ts";
import { redactSecret } from "./redact.ts";
import { toApiError } from "./status.ts";

/** Open watches, aborted when the server closes so close() does not wait on them. */
export type WatchRegistry = Set<AbortController>;

/** How long to wait for the store to reject a too-old resourceVersion before the stream starts (then 410 is a Status). */
const EARLY_ERROR_WINDOW_MS = 50;
const SSE_HEARTBEAT_MS = 15_000;

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

export async function serveWatch(
  req: FastifyRequest,
  reply: FastifyReply,
  store: ResourceStore,
  info: KindInfo,
  namespace: string | undefined,
  watches: WatchRegistry,
  /** Only events of objects in these namespaces (a namespaced token watching across namespaces). */
  namespaces?: readonly string[],
): Promise<void> {
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

  const write = (type: string, object: unknown, id?: string) => res.write(sse ? formatSse(type, object, id) : formatNdjson(type, object));
  try {
    for (;;) {
      const step = await pending;
      if ("error" in step) throw step.error;
      if (step.value.done || abort.signal.aborted) break;
      const event = step.value.value as WatchEvent<KubeObject>;
      const inScope = namespaces === undefined || namespaces.includes(event.object.metadata.namespace ?? "");
      if (inScope && (!name || event.object.metadata.name === name)) {
        write(event.type, redactSecret(event.object), event.object.metadata.resourceVersion);
      }
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
  }
}

const isAbort = (err: unknown): boolean => (err as Error)?.name === "AbortError" || isApiError(err, "Timeout");
