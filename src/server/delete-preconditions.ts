// DELETE preconditions (resourceVersion, uid) from `?resourceVersion=` or a Kubernetes DeleteOptions body,
// checked against the stored object before anything is written.
import { ApiError } from "../api/errors.ts";
import type { KubeObject } from "../api/meta.ts";

export interface DeletePreconditions {
  resourceVersion?: string;
  uid?: string;
}

export function deletePreconditions(query: Record<string, string | undefined>, body: unknown): DeletePreconditions {
  const fromBody = (body as { preconditions?: { resourceVersion?: unknown; uid?: unknown } } | undefined)?.preconditions;
  const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
  const resourceVersion = str(query.resourceVersion) ?? str(fromBody?.resourceVersion);
  const uid = str(fromBody?.uid);
  return { ...(resourceVersion ? { resourceVersion } : {}), ...(uid ? { uid } : {}) };
}

export function checkDeletePreconditions(stored: KubeObject, pre: DeletePreconditions): void {
  const what = `${stored.kind} "${stored.metadata.name}"`;
  if (pre.resourceVersion !== undefined && pre.resourceVersion !== stored.metadata.resourceVersion) {
    throw new ApiError("Conflict", `${what} was not deleted: precondition resourceVersion ${pre.resourceVersion} does not match the stored ${stored.metadata.resourceVersion}; read it again and retry`);
  }
  if (pre.uid !== undefined && pre.uid !== stored.metadata.uid) {
    throw new ApiError("Conflict", `${what} was not deleted: precondition uid ${pre.uid} does not match the stored ${stored.metadata.uid}; it was replaced by another object of that name`);
  }
}
