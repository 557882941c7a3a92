// The datastore file API (`GET /folder/<path>?dcPath=&dsName=` with Range) that vCenter and ESXi serve:
// ranged reads of files on a datastore, authenticated with the SOAP session cookie.
import { request } from "undici";
import { type DatastorePath, datastoreFileUrl, formatDatastorePath } from "./datastore-path.ts";
import { SourceProviderError } from "./errors.ts";
import type { VsphereClient } from "./soap-client.ts";

/** Ranged reads of datastore files: the seam a disk reader uses, so an NFC-backed source can replace it. */
export interface DatastoreFiles {
  /** Up to `maxBytes` from the start of the file; empty for an empty file. */
  readHead(file: DatastorePath, maxBytes: number, signal?: AbortSignal): Promise<Uint8Array>;
  /**
   * Streams [offset, offset+length) of the file. Bytes past the file's end read as zeros (a flat extent
   * file may be shorter than its extent when the tail was never written).
   */
  readRange(file: DatastorePath, offset: number, length: number, signal?: AbortSignal): AsyncIterable<Uint8Array>;
}

const ZERO_CHUNK = 1 << 20;

export function* zeros(length: number): Generator<Uint8Array> {
  for (let left = length; left > 0; left -= ZERO_CHUNK) yield new Uint8Array(Math.min(left, ZERO_CHUNK));
}

/** Parses `Content-Range: bytes a-b/total`. Pure. */
export function parseContentRange(header: string | undefined): { start: number; end: number; total: number } | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header?.trim() ?? "");
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === "*" ? Number.NaN : Number(m[3]) };
}

export class HttpDatastoreFiles implements DatastoreFiles {
  private readonly client: VsphereClient;
  private readonly datacenter: string;

  constructor(client: VsphereClient, datacenter: string) {
    this.client = client;
    this.datacenter = datacenter;
  }

  private async get(file: DatastorePath, offset: number, length: number, signal?: AbortSignal) {
    const url = datastoreFileUrl(this.client.url.origin, this.datacenter, file);
    const headers: Record<string, string> = { range: `bytes=${offset}-${offset + length - 1}` };
    const cookie = this.client.sessionCookieHeader();
    // The simulator checks no session here; real ESXi and vCenter do.
    if (cookie) headers.cookie = cookie;
    const response = await request(url, { method: "GET", headers, dispatcher: this.client.trust.agent, signal });
    const status = response.statusCode;
    if (status === 404) {
      await response.body.dump();
      throw new SourceProviderError("NotFound", `datastore file ${formatDatastorePath(file)} not found (datacenter "${this.datacenter}")`);
    }
    if (status === 416) {
      await response.body.dump();
      return { response, start: offset, available: 0 };
    }
    if (status === 206) {
      const range = parseContentRange(String(response.headers["content-range"] ?? ""));
      if (!range || range.start !== offset) {
        await response.body.dump();
        throw new SourceProviderError("SourceError", `datastore file ${formatDatastorePath(file)}: bad Content-Range for offset ${offset}`);
      }
      return { response, start: offset, available: range.end - range.start + 1 };
    }
    if (status === 200) {
      // The server ignored Range and sends the whole file: usable only from offset 0.
      if (offset !== 0) {
        await response.body.dump();
        throw new SourceProviderError("NotSupported", `datastore file API at ${url.origin} ignores Range requests`);
      }
      const size = Number(response.headers["content-length"] ?? Number.NaN);
      return { response, start: 0, available: Number.isNaN(size) ? length : Math.min(size, length) };
    }
    const body = (await response.body.text()).slice(0, 200);
    const code = status === 401 || status === 403 ? "InvalidCredentials" : "SourceError";
    throw new SourceProviderError(code, `datastore file ${formatDatastorePath(file)}: HTTP ${status}: ${body}`);
  }

  async readHead(file: DatastorePath, maxBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    for await (const c of this.readRangeExact(file, 0, maxBytes, false, signal)) chunks.push(c);
    return Buffer.concat(chunks);
  }

  readRange(file: DatastorePath, offset: number, length: number, signal?: AbortSignal): AsyncIterable<Uint8Array> {
    return this.readRangeExact(file, offset, length, true, signal);
  }

  private async *readRangeExact(
    file: DatastorePath,
    offset: number,
    length: number,
    padWithZeros: boolean,
    signal?: AbortSignal,
  ): AsyncGenerator<Uint8Array> {
    if (length <= 0) return;
    const { response, available } = await this.get(file, offset, length, signal);
    let got = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      const take = Math.min(chunk.length, available - got);
      if (take <= 0) break;
      got += take;
      yield take === chunk.length ? chunk : chunk.subarray(0, take);
    }
    if (got < available) {
      throw new SourceProviderError(
        "SourceError",
        `datastore file ${formatDatastorePath(file)}: connection ended after ${got} of ${available} bytes at offset ${offset}`,
      );
    }
    if (padWithZeros && got < length) yield* zeros(length - got);
  }
}
