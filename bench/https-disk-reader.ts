// A DiskReader over HTTPS Range requests (what a vCenter datastore `/folder/...` URL serves). Lives in
// bench/ for the benchmark; the vSphere provider has its own reader with session cookies and pinning.
// Pluggable: anything with a URL that answers Range with 206 works (the bench server, vcsim).
import { Agent, request } from "undici";
import type { DiskReader } from "../src/providers/contract.ts";

export interface HttpsDiskReaderOptions {
  url: string;
  /** Accept a self-signed certificate (loopback benchmark only). */
  insecure?: boolean;
  headers?: Record<string, string>;
  /** Size when already known (e.g. from the VM's device capacity); otherwise asked with a 1-byte Range. */
  sizeBytes?: number;
  connections?: number;
}

export async function openHttpsDiskReader(options: HttpsDiskReaderOptions): Promise<DiskReader> {
  const dispatcher = new Agent({ connect: { rejectUnauthorized: !options.insecure }, connections: options.connections ?? 8 });
  const get = (offset: number, length: number, signal?: AbortSignal) =>
    request(options.url, {
      dispatcher,
      signal,
      headers: { ...options.headers, range: `bytes=${offset}-${offset + length - 1}` },
    });
  let sizeBytes = options.sizeBytes;
  if (sizeBytes === undefined) {
    const probe = await get(0, 1);
    await probe.body.dump();
    const total = /\/(\d+)$/.exec(String(probe.headers["content-range"] ?? ""))?.[1];
    if (probe.statusCode !== 206 || !total) throw new Error(`${options.url} answered ${probe.statusCode} without a Content-Range total; it must support HTTP Range`);
    sizeBytes = Number(total);
  }
  const size = sizeBytes;
  return {
    sizeBytes: size,
    async *readRange(offset: number, length: number, signal?: AbortSignal): AsyncIterable<Uint8Array> {
      if (length === 0) return;
      const response = await get(offset, length, signal);
      if (response.statusCode !== 206) {
        await response.body.dump();
        throw new Error(`GET ${options.url} bytes ${offset}+${length} answered ${response.statusCode}, expected 206 Partial Content`);
      }
      for await (const piece of response.body) yield piece as Uint8Array;
    },
    close: () => dispatcher.close(),
  };
}
