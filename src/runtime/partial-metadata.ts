// What a metadata-only cache keeps of an object (controller-runtime's PartialObjectMetadata, narrowed): enough
// to key it, tell versions apart and notice a deletion, and nothing else. Not labels or annotations either: a
// client-side apply leaves the whole object, a Secret's values included, in an annotation. Pure.
import type { KubeObject } from "../api/meta.ts";

export function partialMetadata(obj: KubeObject): KubeObject {
  const { name, namespace, uid, resourceVersion, generation, deletionTimestamp } = obj.metadata;
  const metadata: KubeObject["metadata"] = { name };
  if (namespace !== undefined) metadata.namespace = namespace;
  if (uid !== undefined) metadata.uid = uid;
  if (resourceVersion !== undefined) metadata.resourceVersion = resourceVersion;
  if (generation !== undefined) metadata.generation = generation;
  if (deletionTimestamp !== undefined) metadata.deletionTimestamp = deletionTimestamp;
  return { apiVersion: obj.apiVersion, kind: obj.kind, metadata };
}
