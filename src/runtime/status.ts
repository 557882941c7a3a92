// Safe writes for controllers: re-read the object from the store, apply a mutation to a copy, skip the write
// when nothing changed, and retry on Conflict — so a controller never clobbers what another writer just wrote
// and never bumps resourceVersion (waking every watcher) for a no-op.
import { isDeepStrictEqual } from "node:util";
import type { KubeObject } from "../api/meta.ts";
import { isApiError } from "../api/errors.ts";
import type { ResourceStore } from "../store/types.ts";

export interface PatchOptions {
  /** Attempts in all, the first included. Default 5. */
  attempts?: number;
}

/**
 * Runs fn, retrying when it throws an ApiError Conflict (409 on a stale resourceVersion). fn must re-read
 * what it writes on every attempt.
 */
export async function retryOnConflict<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts || !isApiError(err, "Conflict")) throw err;
    }
  }
}

/**
 * Updates status of kind/namespace/name with mutate, applied to a fresh copy of the stored status. mutate may
 * change the draft in place (returning nothing) or return the new status. Returns the object as stored after
 * the write — or as read, when nothing changed and no write happened. NotFound propagates.
 */
export async function patchStatus<T extends KubeObject, S = NonNullable<T["status"]>>(
  store: ResourceStore,
  kind: string,
  namespace: string,
  name: string,
  mutate: ((status: S, obj: T) => S | undefined) | ((status: S, obj: T) => void),
  opts: PatchOptions = {},
): Promise<T> {
  return retryOnConflict(async () => {
    const current = await store.get<T>(kind, namespace, name);
    const draft = structuredClone((current.status ?? {}) as S);
    const result = mutate(draft, structuredClone(current));
    const next = result ?? draft;
    if (isDeepStrictEqual(next, current.status ?? {})) return current;
    return store.updateStatus<T>({ ...current, status: next });
  }, opts.attempts);
}

/**
 * Updates metadata and spec (finalizers, labels, ownerReferences, …) the same way: mutate gets a copy of the
 * stored object and returns the object to write; an unchanged result skips the write.
 */
export async function patchObject<T extends KubeObject>(
  store: ResourceStore,
  kind: string,
  namespace: string,
  name: string,
  mutate: (obj: T) => T,
  opts: PatchOptions = {},
): Promise<T> {
  return retryOnConflict(async () => {
    const current = await store.get<T>(kind, namespace, name);
    const next = mutate(structuredClone(current));
    if (isDeepStrictEqual(next, current)) return current;
    return store.update<T>({ ...next, metadata: { ...next.metadata, resourceVersion: current.metadata.resourceVersion } });
  }, opts.attempts);
}
