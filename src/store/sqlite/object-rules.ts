// The Kubernetes API server's write rules, as pure functions over plain objects: which fields the server
// owns, when generation rises, how finalizers gate deletion. The sqlite store applies these; it only adds
// revisions, storage and events.
import { isDeepStrictEqual } from "node:util";
import { ApiError, conflict, invalid } from "../../api/errors.ts";
import { DEFAULT_NAMESPACE, type KubeObject, type ObjectMeta } from "../../api/meta.ts";

/** What a write does to the stored object. `unchanged`: nothing to write (no new revision, no event). */
export type WritePlan =
  | { action: "write"; object: KubeObject }
  | { action: "remove"; object: KubeObject }
  | { action: "unchanged"; object: KubeObject };

/** RFC 3339 with second precision, like Kubernetes timestamps. */
export function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** JSON-shaped copy without `undefined` members, so deep comparisons match what storage round-trips. */
export function plain<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

export function requireIdentity(obj: KubeObject): { kind: string; namespace: string; name: string } {
  if (!obj || typeof obj !== "object") throw new ApiError("BadRequest", "object must be a JSON object with kind and metadata.name");
  if (typeof obj.kind !== "string" || obj.kind === "") throw new ApiError("BadRequest", "object has no kind; set kind (e.g. VirtualMachine)");
  const name = obj.metadata?.name;
  if (typeof name !== "string" || name === "") {
    throw new ApiError("BadRequest", `${obj.kind} has no metadata.name; set metadata.name to a DNS-1123 label`, { kind: obj.kind });
  }
  return { kind: obj.kind, namespace: obj.metadata.namespace || DEFAULT_NAMESPACE, name };
}

/** Optimistic concurrency: a given resourceVersion must be the stored one. */
export function checkFreshness(current: KubeObject, wanted: string | undefined): void {
  if (wanted === undefined || wanted === "" || wanted === current.metadata.resourceVersion) return;
  throw conflict(
    current.kind,
    current.metadata.name,
    `the object has been modified (resourceVersion ${wanted} is stale, current is ${current.metadata.resourceVersion}); read it again and retry`,
  );
}

/** The object as first stored: server-owned metadata set; status dropped (Kubernetes: status comes via updateStatus). */
export function planCreate(obj: KubeObject, ids: { uid: string; now: string }): KubeObject {
  const { namespace, name } = requireIdentity(obj);
  const { status: _status, ...body } = obj;
  const metadata: ObjectMeta = {
    ...obj.metadata,
    name,
    namespace,
    uid: ids.uid,
    generation: 1,
    creationTimestamp: ids.now,
  };
  delete metadata.resourceVersion;
  delete metadata.deletionTimestamp;
    return plain({ ...body, metadata });
}

function addedFinalizers(current: ObjectMeta, next: ObjectMeta): string[] {
  const had = new Set(current.finalizers ?? []);
  return (next.finalizers ?? []).filter((f) => !had.has(f));
}

const IMMUTABLE_FIELDS = ["data", "stringData", "binaryData"] as const;

function checkImmutable(current: KubeObject, next: KubeObject): void {
  if (current.immutable !== true) return;
  const changed = IMMUTABLE_FIELDS.filter((f) => !isDeepStrictEqual(current[f], next[f]));
  if (next.immutable !== true) changed.push("immutable" as never);
  if (changed.length === 0) return;
  throw invalid(
    current.kind,
    current.metadata.name,
    changed.map((f) => ({ field: f, message: "field is immutable when `immutable` is set; delete and recreate the object" })),
  );
}

/** update: the caller's body and metadata replace the stored ones, except status and server-owned fields. */
export function planUpdate(current: KubeObject, incoming: KubeObject): WritePlan {
  checkFreshness(current, incoming.metadata?.resourceVersion);
  const { status: _status, ...body } = incoming;
  const cur = current.metadata;
  const metadata: ObjectMeta = {
    ...incoming.metadata,
    name: cur.name,
    namespace: cur.namespace,
    uid: cur.uid,
    creationTimestamp: cur.creationTimestamp,
    deletionTimestamp: cur.deletionTimestamp,
    generation: cur.generation,
    resourceVersion: cur.resourceVersion,
  };
  if (cur.deletionTimestamp !== undefined) {
    const added = addedFinalizers(cur, metadata);
    if (added.length > 0) {
      throw invalid(current.kind, cur.name, [
        {
          field: "metadata.finalizers",
          message: `cannot add finalizers ${added.join(", ")} to an object being deleted (deletionTimestamp ${cur.deletionTimestamp})`,
        },
      ]);
    }
  }
  const next = plain<KubeObject>({ ...body, kind: current.kind, metadata, status: current.status });
  checkImmutable(current, next);
  if (!isDeepStrictEqual(plain(current.spec), next.spec)) next.metadata.generation = (cur.generation ?? 1) + 1;
  if (cur.deletionTimestamp !== undefined && (next.metadata.finalizers ?? []).length === 0) return { action: "remove", object: next };
  if (isDeepStrictEqual(plain(current), next)) return { action: "unchanged", object: current };
  return { action: "write", object: next };
}

/** updateStatus: only status changes; spec, metadata and generation stay as stored. */
export function planStatusUpdate(current: KubeObject, incoming: KubeObject, hasStatus: boolean): WritePlan {
  if (!hasStatus) {
    throw new ApiError(
      "MethodNotAllowed",
      `${current.kind} "${current.metadata.name}" has no status; change it with update instead of updateStatus`,
      { kind: current.kind, name: current.metadata.name },
    );
  }
  checkFreshness(current, incoming.metadata?.resourceVersion);
  const next = plain<KubeObject>({ ...current, status: incoming.status });
  if (isDeepStrictEqual(plain(current), next)) return { action: "unchanged", object: current };
  return { action: "write", object: next };
}

/** delete: finalizers turn it into marking (deletionTimestamp); otherwise the object goes. */
export function planDelete(current: KubeObject, now: string, precondition?: string): WritePlan {
  checkFreshness(current, precondition);
  if ((current.metadata.finalizers ?? []).length === 0) return { action: "remove", object: current };
  if (current.metadata.deletionTimestamp !== undefined) return { action: "unchanged", object: current };
  return { action: "write", object: plain({ ...current, metadata: { ...current.metadata, deletionTimestamp: now } }) };
}
