// Benchmark (not a test, not product code): how much of a transfer's event-loop CPU is the HTTP/TLS read path.
// Reads a 1 GiB half-random flat extent from the vCenter simulator in 4 MiB ranges, 4 in flight, into chunk
// buffers, no hashing, three ways, interleaved:
//   undici — what the product does (request() per range, the body's async iterator, a copy per 16 KiB TLS record);
//   dispatch — undici's dispatcher with a handler copying each body piece into the chunk (no stream, no iterator);
//   onread — a bare HTTP/1.1 client over tls.connect({ onread }): TLS records decrypted into one static 64 KiB buffer
//            per connection and copied straight into the chunk, no Buffer per record, no stream.
// Prints wall time, this process's CPU and its peak arrayBuffers for each, beside curl of the same bytes.
//   node bench/tls-range-read.ts [--size-mib 1024] [--rounds 3]
import { execFile } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type TLSSocket } from "node:tls";
import { parseArgs, promisify } from "node:util";
import { Agent, request } from "undici";
import { startVcsim } from "../test/harness/vcsim/harness.ts";
import { stripedDisk } from "./striped-disk.ts";

const MiB = 1 << 20;
const CHUNK = 4 * MiB;
const IN_FLIGHT = 4;
const run = promisify(execFile);
const { values } = parseArgs({ options: { "size-mib": { type: "string", default: "1024" }, rounds: { type: "string", default: "3" } } });
const size = Number(values["size-mib"]) * MiB;

type ReadRange = (offset: number, into: Buffer) => Promise<void>;

function undiciReader(url: URL): { read: ReadRange; close: () => Promise<void> } {
  const agent = new Agent({ connect: { rejectUnauthorized: false }, connections: IN_FLIGHT });
  return {
    read: async (offset, into) => {
      const res = await request(url, { dispatcher: agent, headers: { range: `bytes=${offset}-${offset + into.length - 1}` } });
      if (res.statusCode !== 206) throw new Error(`HTTP ${res.statusCode}`);
      let filled = 0;
      for await (const piece of res.body as AsyncIterable<Buffer>) {
        into.set(piece, filled);
        filled += piece.length;
      }
      if (filled !== into.length) throw new Error(`short read ${filled}`);
    },
    close: () => agent.close(),
  };
}

/** undici without its stream: the dispatcher's handler copies each body piece straight into the chunk. */
function dispatchReader(url: URL): { read: ReadRange; close: () => Promise<void> } {
  const agent = new Agent({ connect: { rejectUnauthorized: false }, connections: IN_FLIGHT });
  const path = `${url.pathname}${url.search}`;
  return {
    read: (offset, into) =>
      new Promise<void>((resolve, reject) => {
        let filled = 0;
        agent.dispatch(
          { origin: url.origin, path, method: "GET", headers: { range: `bytes=${offset}-${offset + into.length - 1}` } },
          {
            onRequestStart: () => {},
            onResponseStart: (_controller: unknown, status: number) => {
              if (status !== 206) reject(new Error(`HTTP ${status}`));
            },
            onResponseData: (_controller: unknown, piece: Buffer) => {
              into.set(piece, filled);
              filled += piece.length;
            },
            onResponseEnd: () => (filled === into.length ? resolve() : reject(new Error(`short read ${filled}`))),
            onResponseError: (_controller: unknown, error: Error) => reject(error),
          } as never,
        );
      }),
    close: () => agent.close(),
  };
}

/** One keep-alive TLS connection answering one ranged GET at a time; body bytes go straight into the caller's buffer. */
class OnreadConnection {
  readonly #socket: TLSSocket;
  readonly #ready: Promise<void>;
  #head = Buffer.alloc(0);
  #into: Buffer | undefined;
  #filled = 0;
  #bodyLeft = -1;
  #done: { resolve: () => void; reject: (e: Error) => void } | undefined;

  constructor(url: URL) {
    const buffer = Buffer.alloc(64 * 1024);
    this.#socket = connect({ host: url.hostname, port: Number(url.port), rejectUnauthorized: false, onread: { buffer, callback: (n: number, b: Uint8Array) => this.#onRead(n, b as Buffer) } } as never);
    this.#ready = new Promise((resolve, reject) => {
      this.#socket.once("secureConnect", () => resolve());
      this.#socket.once("error", reject);
    });
    this.#socket.on("error", (e) => this.#done?.reject(e));
  }

  async get(path: string, host: string, offset: number, into: Buffer): Promise<void> {
    await this.#ready;
    this.#into = into;
    this.#filled = 0;
    this.#bodyLeft = -1;
    this.#head = Buffer.alloc(0);
    const done = new Promise<void>((resolve, reject) => {
      this.#done = { resolve, reject };
    });
    this.#socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nRange: bytes=${offset}-${offset + into.length - 1}\r\n\r\n`, "latin1");
    return done;
  }

  #onRead(n: number, buf: Buffer): boolean {
    if (this.#bodyLeft < 0) {
      this.#head = Buffer.concat([this.#head, buf.subarray(0, n)]);
      const end = this.#head.indexOf("\r\n\r\n");
      if (end < 0) return true;
      const head = this.#head.subarray(0, end).toString("latin1");
      const status = Number(head.slice(9, 12));
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? Number.NaN);
      if (status !== 206 || length !== this.#into?.length) {
        this.#done?.reject(new Error(`unexpected reply: ${head.split("\r\n")[0]}, length ${length}`));
        return true;
      }
      this.#bodyLeft = length;
      const rest = this.#head.subarray(end + 4);
      this.#head = Buffer.alloc(0);
      this.#take(rest, 0, rest.length);
      return true;
    }
    this.#take(buf, 0, n);
    return true;
  }

  #take(from: Buffer, start: number, end: number): void {
    const into = this.#into as Buffer;
    const count = Math.min(end - start, this.#bodyLeft);
    into.set(from.subarray(start, start + count), this.#filled);
    this.#filled += count;
    this.#bodyLeft -= count;
    if (this.#bodyLeft === 0) {
      this.#bodyLeft = -1;
      this.#done?.resolve();
    }
  }

  close(): void {
    this.#socket.destroy();
  }
}

function onreadReader(url: URL): { read: ReadRange; close: () => Promise<void> } {
  const idle = Array.from({ length: IN_FLIGHT }, () => new OnreadConnection(url));
  const all = [...idle];
  const path = `${url.pathname}${url.search}`;
  return {
    read: async (offset, into) => {
      const c = idle.pop();
      if (!c) throw new Error("more reads in flight than connections");
      try {
        await c.get(path, url.host, offset, into);
      } finally {
        idle.push(c);
      }
    },
    close: async () => {
      for (const c of all) c.close();
    },
  };
}

/** sha256 of each chunk as read, in disk order: both clients must read the same bytes. */
async function chunkSums(make: () => { read: ReadRange; close: () => Promise<void> }): Promise<string[]> {
  const reader = make();
  const sums: string[] = [];
  const buffer = Buffer.alloc(CHUNK);
  for (let offset = 0; offset < size; offset += CHUNK) {
    const chunk = buffer.subarray(0, Math.min(CHUNK, size - offset));
    await reader.read(offset, chunk);
    sums.push(createHash("sha256").update(chunk).digest("hex"));
  }
  await reader.close();
  return sums;
}

async function measure(name: string, make: () => { read: ReadRange; close: () => Promise<void> }): Promise<string> {
  const reader = make();
  const buffers = Array.from({ length: IN_FLIGHT }, () => Buffer.alloc(CHUNK));
  let peakAb = 0;
  const sampler = setInterval(() => {
    peakAb = Math.max(peakAb, process.memoryUsage().arrayBuffers);
  }, 20);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    buffers.map(async (buffer) => {
      for (let offset = next * CHUNK; offset < size; offset = next * CHUNK) {
        next++;
        await reader.read(offset, buffer.subarray(0, Math.min(CHUNK, size - offset)));
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  await reader.close();
  return `${name.padEnd(8)} ${seconds.toFixed(2)} s, CPU ${(cpu.user / 1e6).toFixed(2)} user + ${(cpu.system / 1e6).toFixed(2)} sys, peak arrayBuffers ${(peakAb / MiB).toFixed(0)} MiB`;
}

const dir = await mkdtemp(join(tmpdir(), "landfall-tls-read-"));
const content = join(dir, "content.raw");
await stripedDisk(content, size);
const vc = await startVcsim({ vms: [{ name: "tls01", uuid: randomUUID(), disks: [{ contentPath: content, capacityBytes: size }] }] });
try {
  const url = new URL(`${vc.url.replace(/\/sdk$/, "")}/folder/tls01/tls01_0-flat.vmdk?dcPath=${vc.datacenter}&dsName=${vc.datastore}`);
  const [a, b, c] = [await chunkSums(() => undiciReader(url)), await chunkSums(() => dispatchReader(url)), await chunkSums(() => onreadReader(url))];
  if (a.join() !== b.join() || a.join() !== c.join()) throw new Error("the clients read different bytes");
  console.log(`the three clients read the same ${a.length} chunks`);
  for (let round = 0; round < Number(values.rounds); round++) {
    const t0 = performance.now();
    await run("curl", ["-k", "-s", "-f", "-o", "/dev/null", url.href]);
    console.log(`curl    ${((performance.now() - t0) / 1000).toFixed(2)} s (to /dev/null)`);
    console.log(await measure("undici", () => undiciReader(url)));
    console.log(await measure("dispatch", () => dispatchReader(url)));
    console.log(await measure("onread", () => onreadReader(url)));
  }
} finally {
  await vc.stop();
  await rm(dir, { recursive: true, force: true });
}
