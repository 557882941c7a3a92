// The datastore file API (`GET /folder/<path>?dcPath=&dsName=` with Range) that vCenter and ESXi serve:
// ranged reads of files on a datastore, authenticated with the SOAP session cookie. Reads are exact: a reply
// that does not carry exactly the bytes asked for (range-reply.ts) fails naming the file, the bytes and what
// came back; callers retry (the disk transfer retries per chunk).
import { type DatastorePath, datastoreFileUrl, formatDatastorePath } from "./datastore-path.ts";
import { SourceProviderError } from "./errors.ts";
import { bodyText, discard, send } from "./http-request.ts";
import { type RangeClient, UnexpectedReply } from "./range-client.ts";
import { judgeRangeReply, type RangeAsked } from "./range-reply.ts";
import type { TrustedDispatcher } from "./tls-trust.ts";

/** Ranged reads of datastore files: the seam a disk reader uses, so an NFC-backed source can replace it. */
export interface DatastoreFiles {
  /** Up to `maxBytes` from the start of the file (fewer only when the file is shorter); empty for an empty file. */
  readHead(file: DatastorePath, maxBytes: number, signal?: AbortSignal): Promise<Uint8Array>;
  /** Streams exactly [offset, offset+length) of the file, or fails: bytes the file does not hold are an error. */
  readRange(file: DatastorePath, offset: number, length: number, signal?: AbortSignal): AsyncIterable<Uint8Array>;
  /** Optional: fills `into` with exactly [offset, offset+into.length) of the file; `onBytes` hears each piece's size. */
  readRangeInto?(file: DatastorePath, offset: number, into: Buffer, signal?: AbortSignal, onBytes?: (bytes: number) => void): Promise<void>;
}

const ZERO_CHUNK = 1 << 20;

export function* zeros(length: number): Generator<Uint8Array> {
  for (let left = length; left > 0; left -= ZERO_CHUNK) yield new Uint8Array(Math.min(left, ZERO_CHUNK));
}

/** What the file API needs of a vSphere session (VsphereClient has it). */
export interface DatastoreSession {
  readonly url: URL;
  sessionCookieHeader(): string | undefined;
  readonly trust: Pick<TrustedDispatcher, "agentFor">;
  /** The data path's client (VsphereClient has one); without it every read goes through the agent. */
  readonly ranges?: RangeClient;
}

export class HttpDatastoreFiles implements DatastoreFiles {
  private readonly session: DatastoreSession;
  private readonly datacenter: string;

  constructor(session: DatastoreSession, datacenter: string) {
    this.session = session;
    this.datacenter = datacenter;
  }

  async readHead(file: DatastorePath, maxBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    for await (const c of this.read(file, { offset: 0, length: maxBytes, mode: "head" }, signal)) chunks.push(c);
    return Buffer.concat(chunks);
  }

  readRange(file: DatastorePath, offset: number, length: number, signal?: AbortSignal): AsyncIterable<Uint8Array> {
    return this.read(file, { offset, length, mode: "exact" }, signal);
  }

  /**
   * The data path: through the session's range client, straight into `into`; a reply it does not read (anything but
   * the 206 asked for) is asked again through the endpoint's agent (node:http), which reports it as readRange does.
   */
  async readRangeInto(file: DatastorePath, offset: number, into: Buffer, signal?: AbortSignal, onBytes?: (bytes: number) => void): Promise<void> {
    if (into.length === 0) return;
    const asked = { offset, length: into.length, mode: "exact" as const };
    const ranges = this.session.ranges;
    if (ranges) {
      const { url, headers } = this.request(file, asked);
      try {
        await ranges.readInto(`${url.pathname}${url.search}`, headers, asked, into, signal, onBytes);
        return;
      } catch (error) {
        if (signal?.aborted || error instanceof SourceProviderError) throw error;
        if (!(error instanceof UnexpectedReply)) {
          throw new SourceProviderError("SourceError", `datastore file ${formatDatastorePath(file)}: reading bytes ${offset}-${offset + into.length - 1} failed ${(error as Error).message}`);
        }
      }
    }
    let filled = 0;
    for await (const piece of this.read(file, asked, signal)) {
      into.set(piece, filled);
      filled += piece.length;
      onBytes?.(piece.length);
    }
  }

  /** The ranged GET of `asked` bytes of `file`, with the session cookie: the same for both clients. */
  private request(file: DatastorePath, asked: RangeAsked): { url: URL; headers: Record<string, string> } {
    const url = new URL(datastoreFileUrl(this.session.url.origin, this.datacenter, file));
    const headers: Record<string, string> = { range: `bytes=${asked.offset}-${asked.offset + asked.length - 1}` };
    const cookie = this.session.sessionCookieHeader();
    // The simulator checks no session here; real ESXi and vCenter do.
    if (cookie) headers.cookie = cookie;
    return { url, headers };
  }

  private async *read(file: DatastorePath, asked: RangeAsked, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    if (asked.length <= 0) return;
    const name = formatDatastorePath(file);
    const bytes = `bytes ${asked.offset}-${asked.offset + asked.length - 1}`;
    const { url, headers } = this.request(file, asked);
    const response = await send(url, { method: "GET", headers, agent: this.session.trust.agentFor(url), signal }).catch((error: Error) => {
      if (signal?.aborted) throw error;
      throw new SourceProviderError("SourceError", `datastore file ${name}: request for ${bytes} failed: ${error.message}`);
    });
    const status = response.statusCode;
    if (status === 404) {
      await discard(response.body);
      throw new SourceProviderError("NotFound", `datastore file ${name} not found (datacenter "${this.datacenter}")`);
    }
    if (status === 401 || status === 403) {
      await discard(response.body);
      throw new SourceProviderError("InvalidCredentials", `datastore file ${name}: HTTP ${status}: the session was refused; check the Provider's credentials`);
    }
    const contentLength = Number(response.headers["content-length"] ?? Number.NaN);
    const verdict = judgeRangeReply(asked, {
      status,
      contentRange: typeof response.headers["content-range"] === "string" ? response.headers["content-range"] : undefined,
      contentLength: Number.isNaN(contentLength) ? undefined : contentLength,
    });
    if ("problem" in verdict) {
      const body = status >= 400 ? ` ${(await bodyText(response.body)).slice(0, 200)}` : "";
      if (!body) await discard(response.body);
      throw new SourceProviderError("SourceError", `datastore file ${name}: asked for ${bytes}, got ${verdict.problem}${body}`);
    }
    let got = 0;
    try {
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        const take = Math.min(chunk.length, verdict.bodyBytes - got);
        if (take < chunk.length && status === 206) throw new Error(`the server sent more than the ${verdict.bodyBytes} bytes its Content-Range announced`);
        got += take;
        if (take > 0) yield take === chunk.length ? chunk : chunk.subarray(0, take);
        // A 200 carries the whole file: stop at the bytes asked for. A 206 ends by itself (keeping the connection).
        if (got === verdict.bodyBytes && status === 200) break;
      }
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new SourceProviderError("SourceError", `datastore file ${name}: reading ${bytes} failed after ${got} of ${verdict.bodyBytes} bytes: ${(error as Error).message}`);
    }
    if (got < verdict.bodyBytes) {
      throw new SourceProviderError("SourceError", `datastore file ${name}: connection ended after ${got} of ${verdict.bodyBytes} bytes of ${bytes} (short read)`);
    }
  }
}
