// Finalizers guard external cleanup. Every function is pure and returns a new object (or the same one when
// nothing changes, so callers can skip the write by identity).
import type { KubeObject } from "../api/meta.ts";

export function hasFinalizer(obj: Pick<KubeObject, "metadata">, finalizer: string): boolean {
  return obj.metadata.finalizers?.includes(finalizer) ?? false;
}

/** The object carries a deletionTimestamp: it is being deleted and waits for its finalizers. */
export function isBeingDeleted(obj: Pick<KubeObject, "metadata">): boolean {
  return Boolean(obj.metadata.deletionTimestamp);
}

export function addFinalizer<T extends KubeObject>(obj: T, finalizer: string): T {
  if (hasFinalizer(obj, finalizer)) return obj;
  return { ...obj, metadata: { ...obj.metadata, finalizers: [...(obj.metadata.finalizers ?? []), finalizer] } };
}

export function removeFinalizer<T extends KubeObject>(obj: T, finalizer: string): T {
  if (!hasFinalizer(obj, finalizer)) return obj;
  return {
    ...obj,
    metadata: { ...obj.metadata, finalizers: (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer) },
  };
}
