// Owner references, matched by uid (never by name alone: a deleted and re-created owner is another object).
import type { KubeObject, OwnerReference } from "../api/meta.ts";

export interface OwnerRefOptions {
  /** This owner is the managing controller (at most one per object). Default true. */
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export function ownerReferenceFor(owner: KubeObject, opts: OwnerRefOptions = {}): OwnerReference {
  const uid = owner.metadata.uid;
  if (!uid) {
    throw new Error(`${owner.kind} "${owner.metadata.name}" has no metadata.uid: read it from the store before owning objects with it`);
  }
  const ref: OwnerReference = { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid };
  ref.controller = opts.controller ?? true;
  if (opts.blockOwnerDeletion !== undefined) ref.blockOwnerDeletion = opts.blockOwnerDeletion;
  return ref;
}

export function isOwnedBy(obj: Pick<KubeObject, "metadata">, owner: Pick<KubeObject, "metadata">): boolean {
  const uid = owner.metadata.uid;
  return uid !== undefined && (obj.metadata.ownerReferences ?? []).some((r) => r.uid === uid);
}

/** The owner reference marked controller: true, if any. */
export function controllerOf(obj: Pick<KubeObject, "metadata">): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** obj with ref added, or replacing the reference with the same uid. Returns obj itself when unchanged. */
export function setOwnerReference<T extends KubeObject>(obj: T, ref: OwnerReference): T {
  const refs = obj.metadata.ownerReferences ?? [];
  const index = refs.findIndex((r) => r.uid === ref.uid);
  if (index >= 0 && JSON.stringify(refs[index]) === JSON.stringify(ref)) return obj;
  const next = index >= 0 ? refs.map((r, i) => (i === index ? ref : r)) : [...refs, ref];
  return { ...obj, metadata: { ...obj.metadata, ownerReferences: next } };
}

/** obj without references to the owner with this uid. Returns obj itself when unchanged. */
export function removeOwnerReference<T extends KubeObject>(obj: T, ownerUid: string): T {
  const refs = obj.metadata.ownerReferences ?? [];
  if (!refs.some((r) => r.uid === ownerUid)) return obj;
  return { ...obj, metadata: { ...obj.metadata, ownerReferences: refs.filter((r) => r.uid !== ownerUid) } };
}
