// Secret values never leave the server in collections or watches, and never reach viewers: each value is
// replaced by a marker so clients still see which keys exist.
import type { KubeObject } from "../api/meta.ts";
import type { Principal } from "./auth.ts";

export const REDACTED = "**redacted**";

/** "single": one object read by its name; "collection": lists and watch events. */
export type Exposure = "single" | "collection";

const maskValues = (m: unknown): Record<string, string> | undefined =>
  m && typeof m === "object" ? Object.fromEntries(Object.keys(m).map((k) => [k, REDACTED])) : undefined;

/** Whether objects of `kind` have values to hide in collections (a list may skip parsing the others). */
export const hasRedactedValues = (kind: string): boolean => kind === "Secret";

export function redactSecret<T extends KubeObject>(obj: T): T {
  if (!hasRedactedValues(obj.kind)) return obj;
  const out: KubeObject = { ...obj };
  if (obj.data !== undefined) out.data = maskValues(obj.data);
  if (obj.stringData !== undefined) out.stringData = maskValues(obj.stringData);
  return out as T;
}

/** Only an admin reading one Secret by name sees its values. */
export function redactFor<T extends KubeObject>(principal: Principal | undefined, obj: T, exposure: Exposure): T {
  if (exposure === "single" && principal?.role === "admin") return obj;
  return redactSecret(obj);
}

/** kubectl's client-side apply copies the whole manifest into this annotation — a Secret's values too, in clear. */
export const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";

/**
 * A Secret as it may be stored: without the copy of its values kubectl's client-side apply puts in an annotation
 * (annotations are neither sealed at rest nor redacted). Without it kubectl apply still works; it only warns.
 */
export function withoutSecretCopies<T extends KubeObject>(obj: T): T {
  const annotations = obj.metadata.annotations;
  if (obj.kind !== "Secret" || annotations?.[LAST_APPLIED_ANNOTATION] === undefined) return obj;
  const { [LAST_APPLIED_ANNOTATION]: _copy, ...rest } = annotations;
  const { annotations: _all, ...meta } = obj.metadata;
  return { ...obj, metadata: Object.keys(rest).length > 0 ? { ...meta, annotations: rest } : meta };
}
