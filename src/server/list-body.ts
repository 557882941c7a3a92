// A list response assembled from items that are already JSON (the store's listJson chunks): the objects are
// neither parsed nor serialized again, and the body is bytes, never one string of the whole list.

export interface ListMetadata {
  resourceVersion: string;
  continue?: string;
}

const COMMA = Buffer.from(",");
const CLOSE = Buffer.from("]}");

/** `{"apiVersion","kind","metadata","items":[…]}` with the chunks (each one or more items' JSON) placed as they are. */
export function listBody(apiVersion: string, kind: string, metadata: ListMetadata, chunks: readonly Uint8Array[]): Buffer {
  const meta: ListMetadata = { resourceVersion: metadata.resourceVersion, ...(metadata.continue ? { continue: metadata.continue } : {}) };
  const parts: Uint8Array[] = [Buffer.from(`{"apiVersion":${JSON.stringify(apiVersion)},"kind":${JSON.stringify(kind)},"metadata":${JSON.stringify(meta)},"items":[`)];
  for (const [i, chunk] of chunks.entries()) {
    if (i > 0) parts.push(COMMA);
    parts.push(chunk);
  }
  parts.push(CLOSE);
  return Buffer.concat(parts);
}
