// Small tools for the store contract suite: fresh names, sample objects, and a watch recorder.
import { randomBytes } from "node:crypto";
import { type ApiError, isApiError, type StatusReason } from "../api/errors.ts";
import type { KubeObject } from "../api/meta.ts";
import type { JsonListResult, ResourceStore, WatchEvent, WatchOptions } from "./types.ts";

/** The items of a listJson result, parsed: its chunks joined by "," inside brackets must be a JSON array. */
export function jsonListItems<T = KubeObject>(result: JsonListResult): T[] {
  return JSON.parse(`[${result.chunks.map((c) => Buffer.from(c).toString("utf8")).join(",")}]`) as T[];
}

/** A namespace no other test uses, so tests sharing one store (or one cluster) cannot see each other. */
export function freshNamespace(): string {
  return `lf-contract-${randomBytes(4).toString("hex")}`;
}

export function sampleVM(namespace: string, name: string, extra: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: "landfall.dev/v1beta1",
    kind: "VirtualMachine",
    metadata: { name, namespace, labels: { app: "web" } },
    spec: { providerRef: { name: "kvm" }, imageRef: { name: "ubuntu-22" }, cpus: 1, memoryMiB: 512 },
    ...extra,
  };
}

export function sampleConfigMap(namespace: string, name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace, labels }, data: { key: "value" } };
}

/** An assert.rejects predicate: an ApiError with this reason (and its HTTP code). */
export function apiError(reason: StatusReason, code: number) {
  return (err: unknown): boolean => {
    if (!isApiError(err, reason)) throw new Error(`expected ApiError ${reason}, got ${String(err)}`);
    if ((err as ApiError).code !== code) throw new Error(`expected code ${code} for ${reason}, got ${(err as ApiError).code}`);
    return true;
  };
}

export interface WatchRecorder {
  events: WatchEvent[];
  /** Resolves once `count` events arrived; rejects after `timeoutMs` naming what did arrive. */
  waitFor(count: number, timeoutMs?: number): Promise<WatchEvent[]>;
  /** Aborts the watch and resolves when the stream has ended. */
  stop(): Promise<void>;
  /** Settles when the stream ends on its own (rejects with its error). */
  ended: Promise<void>;
}

export function recordWatch(store: ResourceStore, kind: string, options: Omit<WatchOptions, "signal"> = {}): WatchRecorder {
  const controller = new AbortController();
  const events: WatchEvent[] = [];
  let notify = () => {};
  const ended = (async () => {
    try {
      for await (const event of store.watch(kind, { ...options, signal: controller.signal })) {
        events.push(event);
        notify();
      }
    } finally {
      notify();
    }
  })();
  ended.catch(() => {}); // observed through waitFor/stop; avoid an unhandled rejection in between
  let finished = false;
  ended.then(
    () => {
      finished = true;
    },
    () => {
      finished = true;
    },
  );
  return {
    events,
    ended,
    async waitFor(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (events.length < count) {
        const left = deadline - Date.now();
        if (left <= 0 || finished) {
          const seen = events.map((e) => `${e.type} ${e.object.metadata.name}@${e.object.metadata.resourceVersion}`);
          throw new Error(`expected ${count} watch events, got ${events.length}: [${seen.join(", ")}]`);
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 50));
          notify = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      return events.slice(0, count);
    },
    async stop() {
      controller.abort();
      await ended;
    },
  };
}

/**
 * Drains a watch expecting it to fail (whether the error comes from the call or from iterating). A watch that
 * does not fail within `timeoutMs` is stopped, so the caller's assert.rejects fails instead of hanging.
 */
export async function drainWatch(store: ResourceStore, kind: string, options: Omit<WatchOptions, "signal">, timeoutMs = 2000): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  for await (const _event of store.watch(kind, { ...options, signal })) {
    // draining until the error or the end
  }
}
