// Work-queue keys: objects are identified by `namespace/name` (the cache key and the queue key alike).
import type { KubeObject } from "../api/meta.ts";

export interface ObjectKey {
  namespace: string;
  name: string;
}

/** `namespace/name` of an object; namespace defaults to "default" as the store does. */
export function keyOf(obj: Pick<KubeObject, "metadata">): string {
  return keyString({ namespace: obj.metadata.namespace ?? "default", name: obj.metadata.name });
}

export function keyString(key: ObjectKey): string {
  return `${key.namespace}/${key.name}`;
}

/** Inverse of keyString. Names and namespaces are DNS-1123 labels, so they never contain "/". */
export function parseKey(key: string): ObjectKey {
  const slash = key.indexOf("/");
  if (slash <= 0 || slash === key.length - 1) {
    throw new Error(`work-queue key "${key}" is not of the form namespace/name`);
  }
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
