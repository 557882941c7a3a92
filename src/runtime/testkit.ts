// Test support for the runtime's own tests and for controller tests elsewhere: polling for an eventual
// condition, and a store wrapper that injects watch faults into a real store. Never imported by production code.
import { ApiError } from "../api/errors.ts";
import type { KubeObject } from "../api/meta.ts";
import type { ResourceStore, WatchEvent, WatchOptions } from "../store/types.ts";

/** Polls check until it returns a value other than undefined/false; rejects after timeoutMs with what it last saw. */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} not reached within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface FaultyStore extends ResourceStore {
  /** Ends every open watch of kind with this error (default: ApiError Gone), as a compacted history would. */
  breakWatches(kind: string, error?: Error): void;
  /** Watches opened so far, per kind. */
  watchesOpened(kind: string): number;
}

/** Wraps a real store; everything passes through except that open watches can be broken on demand. */
export function withWatchFaults(store: ResourceStore): FaultyStore {
  const breakers = new Map<string, Set<(err: Error) => void>>();
  const opened = new Map<string, number>();
  return {
    get: (k, ns, n) => store.get(k, ns, n),
    list: (k, o) => store.list(k, o),
    listJson: (k, o) => store.listJson(k, o),
    listFields: (k, f, o) => store.listFields(k, f, o),
    create: (o) => store.create(o),
    update: (o) => store.update(o),
    updateStatus: (o) => store.updateStatus(o),
    delete: (k, ns, n, o) => store.delete(k, ns, n, o),
    revision: () => store.revision(),
    close: () => store.close(),
    watchesOpened: (kind) => opened.get(kind) ?? 0,
    breakWatches(kind, error = new ApiError("Gone", `watch of ${kind}: too old resource version (injected)`)) {
      for (const b of breakers.get(kind) ?? []) b(error);
    },
    watch<T extends KubeObject = KubeObject>(kind: string, options: WatchOptions = {}): AsyncIterable<WatchEvent<T>> {
      opened.set(kind, (opened.get(kind) ?? 0) + 1);
      const inner = new AbortController();
      const outer = options.signal;
      if (outer?.aborted) inner.abort();
      else outer?.addEventListener("abort", () => inner.abort(), { once: true });
      let broken: Error | undefined;
      const set = breakers.get(kind) ?? new Set();
      breakers.set(kind, set);
      const breaker = (err: Error) => {
        broken = err;
        inner.abort();
      };
      set.add(breaker);
      const source = store.watch<T>(kind, { ...options, signal: inner.signal });
      return (async function* () {
        try {
          for await (const ev of source) {
            if (broken) break;
            yield ev;
          }
          if (broken) throw broken;
        } catch (err) {
          if (broken) throw broken;
          throw err;
        } finally {
          set.delete(breaker);
        }
      })();
    },
  };
}

export function configMap(namespace: string, name: string, data: Record<string, string> = {}, labels?: Record<string, string>): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace, ...(labels ? { labels } : {}) }, data };
}
