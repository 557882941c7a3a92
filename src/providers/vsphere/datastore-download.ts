// Whole-file downloads over the datastore file API (delta layers, descriptors) and over NFC lease URLs,
// hashed while they are written, so the chain recorded in status names the exact bytes that were read.
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import { type DatastorePath, datastoreFileUrl, formatDatastorePath } from "./datastore-path.ts";
import { SourceProviderError } from "./errors.ts";
import { bodyText, discard, send } from "./http-request.ts";
import type { VsphereClient } from "./soap-client.ts";

export interface Downloaded {
  bytes: number;
  /** sha256:<hex> of the bytes written. */
  sha256: string;
}

/** GETs `url` into `dest`, failing when the server sends fewer bytes than its Content-Length. */
export async function downloadUrl(
  client: VsphereClient,
  url: URL,
  what: string,
  dest: string,
  options: { signal?: AbortSignal; onBytes?: (total: number) => void } = {},
): Promise<Downloaded> {
  const headers: Record<string, string> = {};
  const cookie = client.sessionCookieHeader();
  if (cookie) headers.cookie = cookie;
  const response = await send(url, { method: "GET", headers, agent: client.trust.agentFor(url), signal: options.signal });
  if (response.statusCode === 404) {
    await discard(response.body);
    throw new SourceProviderError("NotFound", `${what} not found (HTTP 404 from ${url.origin})`);
  }
  if (response.statusCode !== 200) {
    const body = (await bodyText(response.body)).slice(0, 200);
    throw new SourceProviderError(response.statusCode === 401 || response.statusCode === 403 ? "InvalidCredentials" : "SourceError", `${what}: HTTP ${response.statusCode}: ${body}`);
  }
  const expected = Number(response.headers["content-length"] ?? Number.NaN);
  const hash = createHash("sha256");
  let bytes = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      options.onBytes?.(bytes);
      done(null, chunk);
    },
  });
  try {
    await pipeline(response.body, count, createWriteStream(dest), { signal: options.signal });
  } catch (err) {
    throw new SourceProviderError("SourceError", `${what}: download ended after ${bytes} of ${Number.isNaN(expected) ? "?" : expected} bytes: ${(err as Error).message}`, { cause: err });
  }
  if (!Number.isNaN(expected) && bytes !== expected) {
    throw new SourceProviderError("SourceError", `${what}: download ended after ${bytes} of ${expected} bytes`);
  }
  return { bytes, sha256: `sha256:${hash.digest("hex")}` };
}

export function downloadDatastoreFile(client: VsphereClient, datacenter: string, file: DatastorePath, dest: string, signal?: AbortSignal): Promise<Downloaded> {
  return downloadUrl(client, datastoreFileUrl(client.url.origin, datacenter, file), `datastore file ${formatDatastorePath(file)}`, dest, { signal });
}
