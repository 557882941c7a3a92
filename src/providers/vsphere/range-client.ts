// Ranged GETs of datastore files straight into the caller's buffer: the data path's HTTP/1.1 client. A general
// client costs about twice the event loop's CPU per GiB here (undici, measured in bench/tls-range-read.ts and
// bench/RESULTS.md "Seventh round": a Buffer per 16 KiB TLS record and its WebAssembly parser run on every record).
// This client reads a connection with `onread` (one static buffer per connection, Node decrypts each record into
// it) and copies body bytes into the destination at once.
//
// It handles the one reply the data path expects — 206 with a Content-Length and the Content-Range asked for
// (judgeRangeReply) — and nothing else: any other reply, or a connection that breaks before the reply's head, is
// handed back as "unexpected" and the caller asks again through the endpoint's agent (node:http, http-request.ts),
// which reports it as it always has. A connection is reused only after a body read to its end; any failure, abort
// or stall destroys it.
import type { Socket } from "node:net";
import { SourceProviderError } from "./errors.ts";
import { judgeRangeReply, type RangeAsked } from "./range-reply.ts";

/** A connected socket reading into `onread.buffer` and calling `onread.callback` (net/tls `onread` option). */
export type ConnectWithOnread = (onread: { buffer: Buffer; callback: (bytes: number, buffer: Buffer) => boolean }) => Promise<Socket>;

/** The reply was not the plain 206 this client reads; ask again through the general client. */
export class UnexpectedReply extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnexpectedReply";
  }
}

const READ_BUFFER_BYTES = 64 * 1024;
/** A reply head larger than this is not one the datastore API sends. */
const MAX_HEAD_BYTES = 16 * 1024;

interface Pending {
  into: Buffer;
  asked: RangeAsked;
  filled: number;
  /** Body bytes still to come; -1 while the head is read. */
  left: number;
  head: Buffer[];
  headBytes: number;
  keepAlive: boolean;
  onBytes?: (bytes: number) => void;
  resolve: () => void;
  reject: (error: Error) => void;
}

class Connection {
  readonly socket: Socket;
  #pending: Pending | undefined;
  #broken = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("error", (error) => this.#fail(error));
    socket.on("close", () => this.#fail(new Error("the connection closed")));
  }

  static async open(connect: ConnectWithOnread): Promise<Connection> {
    let connection: Connection | undefined;
    const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    const socket = await connect({ buffer, callback: (bytes, b) => connection?.onRead(b, bytes) ?? true });
    connection = new Connection(socket);
    return connection;
  }

  get usable(): boolean {
    return !this.#broken && !this.socket.destroyed;
  }

  /** Sends the request and fills `into` with the body; resolves once the body is complete. */
  get(request: string, asked: RangeAsked, into: Buffer, onBytes?: (bytes: number) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending = { into, asked, filled: 0, left: -1, head: [], headBytes: 0, keepAlive: true, onBytes, resolve, reject };
      this.socket.write(request, "latin1");
    });
  }

  destroy(): void {
    this.#broken = true;
    this.socket.destroy();
  }

  onRead(buffer: Buffer, bytes: number): boolean {
    const p = this.#pending;
    if (!p) {
      this.#fail(new Error("the server sent bytes nobody asked for"));
      return false;
    }
    if (p.left < 0) {
      // Only the head's bytes are copied (a few hundred); the body's go straight to the destination.
      const piece = Buffer.from(buffer.subarray(0, bytes));
      p.head.push(piece);
      p.headBytes += bytes;
      const whole = p.head.length === 1 ? piece : Buffer.concat(p.head);
      const end = whole.indexOf("\r\n\r\n");
      if (end < 0) {
        if (p.headBytes > MAX_HEAD_BYTES) this.#fail(new UnexpectedReply(`a reply head over ${MAX_HEAD_BYTES} bytes`));
        return true;
      }
      const problem = this.#startBody(p, whole.subarray(0, end).toString("latin1"));
      if (problem) {
        this.#fail(new UnexpectedReply(problem));
        return false;
      }
      this.#take(p, whole, end + 4, whole.length);
      return true;
    }
    this.#take(p, buffer, 0, bytes);
    return true;
  }

  #startBody(p: Pending, head: string): string | undefined {
    const lines = head.split("\r\n");
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "")?.[1];
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    if (status !== "206") return `HTTP ${status ?? "reply"} (${lines[0]})`;
    if (headers.has("transfer-encoding")) return `a 206 with Transfer-Encoding ${headers.get("transfer-encoding")}`;
    const contentLength = Number(headers.get("content-length") ?? Number.NaN);
    const verdict = judgeRangeReply(p.asked, { status: 206, contentRange: headers.get("content-range"), contentLength });
    if ("problem" in verdict) return verdict.problem;
    if (contentLength !== verdict.bodyBytes || verdict.bodyBytes !== p.into.length) return `a 206 of ${contentLength} bytes for ${p.into.length}`;
    p.left = contentLength;
    p.keepAlive = !/\bclose\b/i.test(headers.get("connection") ?? "") && lines[0]?.startsWith("HTTP/1.1") === true;
    return undefined;
  }

  #take(p: Pending, from: Buffer, start: number, end: number): void {
    const count = end - start;
    if (count <= 0) {
      if (p.left === 0) this.#finish(p);
      return;
    }
    if (count > p.left) {
      this.#fail(new Error(`the server sent ${count - p.left} bytes past the ${p.into.length} its Content-Length announced`));
      return;
    }
    p.into.set(from.subarray(start, end), p.filled);
    p.filled += count;
    p.left -= count;
    p.onBytes?.(count);
    if (p.left === 0) this.#finish(p);
  }

  #finish(p: Pending): void {
    this.#pending = undefined;
    if (!p.keepAlive) this.destroy();
    p.resolve();
  }

  #fail(error: Error): void {
    this.#broken = true;
    const p = this.#pending;
    this.#pending = undefined;
    this.socket.destroy();
    if (!p) return;
    // Broken before the head arrived: nothing of this reply was used, the caller may ask again.
    if (error instanceof UnexpectedReply) p.reject(error);
    else if (p.left < 0) p.reject(new UnexpectedReply(`the connection broke before the reply (${error.message})`));
    else p.reject(new Error(`after ${p.filled} of ${p.into.length} bytes: ${error.message}`));
  }
}

/** Keep-alive connections to one origin, at most `maxIdle` kept between requests. */
export class RangeClient {
  readonly #connect: ConnectWithOnread;
  readonly #host: string;
  readonly #maxIdle: number;
  readonly #idle: Connection[] = [];

  constructor(host: string, connect: ConnectWithOnread, maxIdle = 8) {
    this.#host = host;
    this.#connect = connect;
    this.#maxIdle = maxIdle;
  }

  /**
   * GET `path` bytes [asked.offset, +into.length) into `into`, exactly. Rejects with UnexpectedReply when the reply
   * is anything but that 206 (or the connection broke before its head), with the signal's reason on abort, else with
   * the connection's error (a body cut short).
   */
  async readInto(path: string, headers: Record<string, string>, asked: RangeAsked, into: Buffer, signal?: AbortSignal, onBytes?: (bytes: number) => void): Promise<void> {
    signal?.throwIfAborted();
    let connection = this.#idle.pop();
    while (connection && !connection.usable) connection = this.#idle.pop();
    // A connection that cannot be made is asked through the agent too (it names the failure as the control path does);
    // a certificate that fails the Provider's trust is that error, as is.
    connection ??= await Connection.open(this.#connect).catch((error: Error) => {
      if (error instanceof SourceProviderError) throw error;
      throw new UnexpectedReply(`connecting failed (${error.message})`);
    });
    const lines = [`GET ${path} HTTP/1.1`, `Host: ${this.#host}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    const request = `${lines.join("\r\n")}\r\n\r\n`;
    const onAbort = () => connection.destroy();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await connection.get(request, asked, into, onBytes);
    } catch (error) {
      signal?.throwIfAborted();
      throw error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
    if (connection.usable && this.#idle.length < this.#maxIdle) this.#idle.push(connection);
    else connection.destroy();
  }

  close(): void {
    for (const connection of this.#idle.splice(0)) connection.destroy();
  }
}
