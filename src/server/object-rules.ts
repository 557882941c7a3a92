// Pure checks of a request body against the URL it was sent to, and what the server owns in an object.
import { ApiError } from "../api/errors.ts";
import type { KindInfo } from "../api/kinds.ts";
import type { KubeObject } from "../api/meta.ts";

export interface Target {
  info: KindInfo;
  namespace: string;
  /** Set for item URLs; absent for collection POSTs. */
  name?: string;
}

const badRequest = (message: string, field: string) => new ApiError("BadRequest", message, { causes: [{ field, message }] });

/** The body must be an object of the URL's kind; name and namespace, when given, must match the URL. */
export function bodyAsObject(body: unknown, target: Target): KubeObject {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new ApiError("BadRequest", `request body must be a ${target.info.kind} object (JSON or YAML)`);
  }
  const obj = structuredClone(body) as KubeObject;
  if (obj.kind === undefined) throw badRequest(`kind is missing; this URL takes kind ${target.info.kind}`, "kind");
  if (obj.kind !== target.info.kind) throw badRequest(`kind "${String(obj.kind)}" does not match the URL, which takes kind ${target.info.kind}`, "kind");
  if (obj.metadata === null || typeof obj.metadata !== "object" || Array.isArray(obj.metadata)) {
    throw badRequest("metadata must be an object with at least a name", "metadata");
  }
  const ns = obj.metadata.namespace;
  if (ns !== undefined && ns !== target.namespace) {
    throw badRequest(`metadata.namespace "${ns}" does not match the namespace in the URL ("${target.namespace}")`, "metadata.namespace");
  }
  if (target.name !== undefined && obj.metadata.name !== target.name) {
    throw badRequest(`metadata.name "${String(obj.metadata.name)}" does not match the name in the URL ("${target.name}")`, "metadata.name");
  }
  obj.metadata.namespace = target.namespace;
  return obj;
}

/** A new object: the store assigns identity and history; status starts empty for kinds that have one. */
export function prepareCreate(obj: KubeObject): KubeObject {
  const m = obj.metadata;
  delete m.uid;
  delete m.resourceVersion;
  delete m.generation;
  delete m.creationTimestamp;
  delete m.deletionTimestamp;
  delete obj.status;
  return obj;
}

/** PUT/PATCH of the main resource replace spec and metadata; status keeps its stored value. */
export function withStoredStatus(obj: KubeObject, stored: KubeObject, info: KindInfo): KubeObject {
  if (!info.hasStatus) return obj;
  if (stored.status === undefined) delete obj.status;
  else obj.status = stored.status;
  return obj;
}

/** A patch may not rename or move an object. */
export function checkIdentityKept(patched: unknown, stored: KubeObject): KubeObject {
  const p = patched as KubeObject;
  if (p === null || typeof p !== "object" || Array.isArray(p)) throw new ApiError("BadRequest", "the patch must leave an object");
  if (p.kind !== stored.kind) throw badRequest(`a patch cannot change kind (from ${stored.kind} to ${String(p.kind)})`, "kind");
  if (p.metadata?.name !== stored.metadata.name) throw badRequest("a patch cannot change metadata.name; create a new object instead", "metadata.name");
  if (p.metadata?.namespace !== stored.metadata.namespace) throw badRequest("a patch cannot change metadata.namespace", "metadata.namespace");
  return p;
}

/** Whether a patch body names metadata.resourceVersion (then it is an optimistic precondition). */
export function patchMentionsResourceVersion(patch: unknown, json: boolean): boolean {
  if (json) return Array.isArray(patch) && patch.some((op) => typeof op?.path === "string" && op.path.startsWith("/metadata/resourceVersion"));
  const m = (patch as { metadata?: { resourceVersion?: unknown } } | null)?.metadata;
  return m !== null && typeof m === "object" && m.resourceVersion !== undefined && m.resourceVersion !== null;
}
