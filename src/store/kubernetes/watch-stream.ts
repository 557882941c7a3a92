// ResourceStore.watch over the Kubernetes watch protocol (client-node's Watch), as an AsyncIterable.
// The buffer is bounded: a consumer that falls behind makes us drop the connection and, once it has caught up,
// resume from the last event it consumed — the server replays the rest, or answers 410 Gone if that history
// is gone. Connections the server or the client's 30 s idle timer close are resumed the same way.
import type { KubeConfig } from "@kubernetes/client-node";
import { Watch } from "@kubernetes/client-node";
import type { ApiError } from "../../api/errors.ts";
import type { KindInfo } from "../../api/kinds.ts";
import type { KubeObject } from "../../api/meta.ts";
import type { WatchEvent, WatchEventType, WatchOptions } from "../types.ts";
import { statusToApiError, toApiError } from "../../api/kube-wire.ts";
import { fromWire } from "./objects.ts";

const EVENT_TYPES = new Set<string>(["ADDED", "MODIFIED", "DELETED"]);

export interface WatchStreamOptions extends WatchOptions {
  kubeConfig: KubeConfig;
  info: KindInfo;
  /** The URL path of the kind's collection (namespaced or across namespaces). */
  path: string;
  /** Events held for a slow consumer before the connection is dropped (resumed later). */
  bufferSize: number;
  /** The revision to start from when the caller gave none ("from now"), so a resumed watch misses nothing. */
  currentRevision: () => Promise<string>;
}

/** One HTTP watch connection: events queue up until read; `ended` once the stream is over for any reason. */
class Connection {
  readonly queue: WatchEvent[] = [];
  ended = false;
  /** Set when the stream failed in a way that must reach the consumer (ERROR event, HTTP error). */
  error: ApiError | undefined;
  /** We closed it ourselves (overflow or abort): its end is not an error. */
  closedByUs = false;
  private controller: AbortController | undefined;
  private wake: (() => void) | undefined;
  private readonly info: KindInfo;
  private readonly bufferSize: number;

  constructor(info: KindInfo, bufferSize: number) {
    this.info = info;
    this.bufferSize = bufferSize;
  }

  attach(controller: AbortController): void {
    this.controller = controller;
    if (this.closedByUs) controller.abort();
  }

  close(): void {
    this.closedByUs = true;
    this.controller?.abort();
    this.finish();
  }

  onEvent(type: string, object: unknown): void {
    if (this.ended) return;
    if (type === "ERROR") {
      this.error = statusToApiError(object as never, `watch of ${this.info.plural} failed`);
      this.close();
      return;
    }
    if (!EVENT_TYPES.has(type)) return; // BOOKMARK and anything newer: nothing to report
    this.queue.push({ type: type as WatchEventType, object: fromWire(object, this.info) });
    if (this.queue.length >= this.bufferSize) this.close(); // resume once the consumer caught up
    this.notify();
  }

  onDone(err: unknown): void {
    if (this.ended) return;
    // A timeout (no data for 30 s) or the server closing is resumable; an HTTP error status is not.
    const status = (err as { statusCode?: unknown } | null)?.statusCode;
    if (!this.closedByUs && typeof status === "number") this.error = toApiError(err, `watch of ${this.info.plural}`);
    this.finish();
  }

  /** Resolves when an event arrives or the connection ends. */
  changed(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private finish(): void {
    this.ended = true;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

export async function* watchStream<T extends KubeObject>(opts: WatchStreamOptions): AsyncGenerator<WatchEvent<T>> {
  const { signal } = opts;
  if (signal?.aborted) return;
  let revision = opts.resourceVersion ?? (await opts.currentRevision());
  const watcher = new Watch(opts.kubeConfig);
  let connection: Connection | undefined;
  const onAbort = () => connection?.close();
  signal?.addEventListener("abort", onAbort);
  try {
    while (!signal?.aborted) {
      const conn = new Connection(opts.info, opts.bufferSize);
      connection = conn;
      const query = { resourceVersion: revision, labelSelector: opts.labelSelector || undefined };
      try {
        conn.attach(
          await watcher.watch(
            opts.path,
            query,
            (type, object) => conn.onEvent(type, object),
            (err) => conn.onDone(err),
          ),
        );
      } catch (err) {
        // Building the request failed (authentication, bad URL): nothing to resume.
        throw toApiError(err, `watch of ${opts.info.plural}`);
      }
      if (signal?.aborted) conn.close();
      for (;;) {
        if (signal?.aborted) return;
        const event = conn.queue.shift();
        if (event) {
          // "0" asks for the current objects first (synthetic ADDED): resume after those, from real revisions.
          revision = event.object.metadata.resourceVersion ?? revision;
          yield event as WatchEvent<T>;
          continue;
        }
        if (conn.ended) break;
        await conn.changed();
      }
      if (conn.error) throw conn.error;
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    connection?.close();
  }
}
