// One HTTP request of the vSphere control path (SOAP, whole-file downloads, the data path's fallback reads) over
// Node's own client, through the endpoint's trusted keep-alive agent (tls-trust.ts). Node's client parses in C++
// (llhttp, built in); undici, which this replaced, loaded its parser as WebAssembly: ~20 MiB of the server's RSS
// for the life of the process once a vSphere Provider connected (ADR 24, bench/RESULTS.md eighth round).
import { type Agent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";

export interface Reply {
  statusCode: number;
  headers: IncomingHttpHeaders;
  /** The body, still to be read (an async iterable of Buffers) or discarded: one of the two, always. */
  body: IncomingMessage;
}

export interface RequestOptions {
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
  agent: Agent;
  signal?: AbortSignal;
}

/** Sends the request; resolves once the reply's head has arrived. An abort or a broken connection rejects. */
export function send(url: URL, options: RequestOptions): Promise<Reply> {
  const headers = options.body === undefined ? options.headers : { ...options.headers, "content-length": String(Buffer.byteLength(options.body)) };
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<Reply>((resolve, reject) => {
    const req = request(url, { method: options.method, headers, agent: options.agent, signal: options.signal }, (res) => resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: res }));
    // After the head, a failure reaches the body's reader (the response is destroyed with it); before, it rejects.
    req.once("error", reject);
    req.end(options.body);
  });
}

/** The whole body as UTF-8. */
export async function bodyText(body: IncomingMessage): Promise<string> {
  const pieces: Buffer[] = [];
  for await (const piece of body as AsyncIterable<Buffer>) pieces.push(piece);
  return Buffer.concat(pieces).toString("utf8");
}

/** Reads the body to its end and drops it, so the connection can serve the next request. */
export async function discard(body: IncomingMessage): Promise<void> {
  for await (const _ of body) {
    // dropped
  }
}
