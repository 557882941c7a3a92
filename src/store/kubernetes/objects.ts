// Pure shape rules between landfall objects and what the Kubernetes API (and its typed client) sends and takes.
import { ApiError } from "../../api/errors.ts";
import { findKind, KINDS, type KindInfo } from "../../api/kinds.ts";
import { plainJson } from "../../api/kube-wire.ts";
import { API_VERSION, DEFAULT_NAMESPACE, type KubeObject } from "../../api/meta.ts";

export const GROUP = "landfall.dev";
export const VERSION = "v1beta1";
/** Secret and ConfigMap are the cluster's core objects: always apiVersion v1 on the wire and when read back. */
export const CORE_API_VERSION = "v1";

export function kindInfo(kind: string): KindInfo {
  const info = findKind(kind);
  if (!info) throw new ApiError("NotFound", `kind ${JSON.stringify(kind)} is not a landfall kind; use one of ${KINDS.map((k) => k.kind).join(", ")}`);
  return info;
}

export function apiVersionFor(info: KindInfo): string {
  return info.core ? CORE_API_VERSION : API_VERSION;
}

/** The body to send: the kind's wire apiVersion (landfall.dev/v1beta1 Secrets become v1) and a namespace. */
export function toWire(obj: KubeObject, info: KindInfo): KubeObject {
  const namespace = obj.metadata?.namespace || DEFAULT_NAMESPACE;
  return { ...obj, apiVersion: apiVersionFor(info), kind: info.kind, metadata: { ...obj.metadata, namespace } };
}


/** A server object as landfall's KubeObject: plain JSON, kind and apiVersion set (list items may lack them). */
export function fromWire<T extends KubeObject>(raw: unknown, info: KindInfo): T {
  const obj = plainJson(raw) as KubeObject;
  if (obj?.metadata === undefined) throw new ApiError("InternalError", `the server returned a ${info.kind} without metadata: ${JSON.stringify(obj).slice(0, 200)}`);
  return { ...obj, apiVersion: apiVersionFor(info), kind: info.kind } as T;
}

/** Kubernetes list objects keep revision and the next page token under metadata. */
export interface WireList {
  metadata?: { resourceVersion?: string; continue?: string; _continue?: string };
  items?: unknown[];
}

export function listToken(list: WireList): string | undefined {
  // The typed models name it `_continue` (continue is a keyword); the custom-object API returns raw JSON.
  const token = list.metadata?.continue ?? list.metadata?._continue;
  return token ? token : undefined;
}
