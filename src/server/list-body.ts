// A list response assembled from items that are already JSON text (the store's listJson): the objects are
// neither parsed nor serialized again, which is most of what a list of thousands used to cost.

export interface ListMetadata {
  resourceVersion: string;
  continue?: string;
}

/** `{"apiVersion","kind","metadata","items":[…]}` with each item's text placed as it is. */
export function listBodyText(apiVersion: string, kind: string, metadata: ListMetadata, items: readonly string[]): string {
  const meta: ListMetadata = { resourceVersion: metadata.resourceVersion, ...(metadata.continue ? { continue: metadata.continue } : {}) };
  return `{"apiVersion":${JSON.stringify(apiVersion)},"kind":${JSON.stringify(kind)},"metadata":${JSON.stringify(meta)},"items":[${items.join(",")}]}`;
}
