// Exact reads over the datastore file API, against a local HTTP server that misbehaves on purpose: a short
// 206, a 416, a Content-Range for other bytes, a connection reset mid-body. None of them may turn into
// zeros that a checksum would then bless. (The normal path runs against vcsim: test/e2e/vsphere-source.test.ts.)
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, connect as connectTcp } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { readerBytes } from "../../disk/synthetic-disk.ts";
import { transferDisk } from "../../disk/transfer.ts";
import { type DatastoreSession, HttpDatastoreFiles } from "./datastore-files.ts";
import { SourceProviderError } from "./errors.ts";
import type { DiskReader } from "../contract.ts";
import type { DatastoreFiles } from "./datastore-files.ts";
import { parseDatastorePath } from "./datastore-path.ts";
import { type ConnectWithOnread, RangeClient } from "./range-client.ts";
import { planChainRead } from "./disk-chain.ts";
import { resolveChain } from "./disk-chain-resolve.ts";
import { createTrustedDispatcher } from "./tls-trust.ts";
import { openFlatLayer } from "./vmdk-disk-reader.ts";

/** A flat disk as the source provider opens one: resolve its chain, plan the read, read the flat layer. */
async function openVmdkDisk(files: DatastoreFiles, disk: { fileName: string; capacityBytes: number }): Promise<DiskReader> {
  const chain = await resolveChain(files, parseDatastorePath(disk.fileName));
  planChainRead(chain, disk.capacityBytes, disk.fileName);
  return openFlatLayer(files, chain[0], disk.capacityBytes);
}

const KiB = 1024;
const FLAT = randomBytes(256 * KiB);
const descriptor = (sectors: number) =>
  `# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\n\n# Extent description\nRW ${sectors} FLAT "disk-flat.vmdk" 0\n`;

/** How the server answers the next request for a file; "ok" unless a test queued a fault. */
type Fault = "short206" | "status416" | "wrongRange" | "reset" | "noSize";
const faults: Fault[] = [];
const cookies: Array<string | undefined> = [];
let server: Server;
let session: DatastoreSession;
let dir: string;

function serve(req: IncomingMessage, res: ServerResponse): void {
  cookies.push(req.headers.cookie);
  const path = new URL(req.url ?? "/", "http://x").pathname;
  const files: Record<string, Buffer> = {
    "/folder/vm/disk.vmdk": Buffer.from(descriptor(FLAT.length / 512)),
    "/folder/vm/grown.vmdk": Buffer.from(descriptor(FLAT.length / 512)),
    "/folder/vm/disk-flat.vmdk": FLAT,
    "/folder/vm/empty.vmdk": Buffer.alloc(0),
  };
  const body = files[path];
  if (!body) {
    res.writeHead(404).end();
    return;
  }
  const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? "");
  if (!m) {
    res.writeHead(200, { "content-length": body.length }).end(body);
    return;
  }
  const start = Number(m[1]);
  const end = Math.min(Number(m[2]), body.length - 1);
  const fault = path.endsWith("-flat.vmdk") ? faults.shift() : undefined;
  if (start >= body.length || fault === "status416") {
    res.writeHead(416, { "content-range": `bytes */${body.length}` }).end();
    return;
  }
  if (fault === "short206") {
    // A server that believes the file ends early: a well-formed 206 for fewer bytes than asked.
    const shortEnd = start + Math.floor((end - start) / 2);
    res.writeHead(206, { "content-range": `bytes ${start}-${shortEnd}/${shortEnd + 1}`, "content-length": shortEnd - start + 1 });
    res.end(body.subarray(start, shortEnd + 1));
    return;
  }
  if (fault === "wrongRange") {
    res.writeHead(206, { "content-range": `bytes 0-${end - start}/${body.length}`, "content-length": end - start + 1 });
    res.end(body.subarray(0, end - start + 1));
    return;
  }
  if (fault === "noSize") {
    res.writeHead(206, { "content-range": `bytes ${start}-${end}/*`, "content-length": end - start + 1 });
    res.end(body.subarray(start, end + 1));
    return;
  }
  res.writeHead(206, { "content-range": `bytes ${start}-${end}/${body.length}`, "content-length": end - start + 1 });
  if (fault === "reset") {
    res.write(body.subarray(start, start + 1000), () => res.socket?.destroy());
    return;
  }
  res.end(body.subarray(start, end + 1));
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "landfall-datastore-"));
  server = createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  session = { url: new URL(`http://127.0.0.1:${port}/sdk`), sessionCookieHeader: () => "vmware_soap_session=s1", trust: createTrustedDispatcher({}, { connectMs: 5_000 }) };
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

const flat = { datastore: "ds1", path: "vm/disk-flat.vmdk" };

async function collect(files: HttpDatastoreFiles, offset: number, length: number): Promise<Buffer> {
  const pieces: Uint8Array[] = [];
  for await (const piece of files.readRange(flat, offset, length)) pieces.push(piece);
  return Buffer.concat(pieces);
}

describe("HttpDatastoreFiles reads exactly", () => {
  test("a range comes back byte for byte, with the session cookie", async () => {
    const files = new HttpDatastoreFiles(session, "DC0");
    assert.ok((await collect(files, 1000, 50_000)).equals(FLAT.subarray(1000, 51_000)));
    assert.equal(cookies.at(-1), "vmware_soap_session=s1");
  });

  const refused: Array<[Fault, RegExp]> = [
    ["short206", /\[ds1\] vm\/disk-flat\.vmdk: asked for bytes 4096-69631, got HTTP 206 with Content-Range "bytes 4096-36863\/36864", not bytes 4096-69631/],
    ["status416", /\[ds1\] vm\/disk-flat\.vmdk: asked for bytes 4096-69631, got HTTP 416 .*"bytes \*\/262144"/],
    ["wrongRange", /asked for bytes 4096-69631, got HTTP 206 with Content-Range "bytes 0-65535\/262144", not bytes 4096-69631/],
    ["noSize", /asked for bytes 4096-69631, got HTTP 206 .*the file's size is not stated/],
    ["reset", /\[ds1\] vm\/disk-flat\.vmdk: reading bytes 4096-69631 failed after 1000 of 65536 bytes/],
  ];
  for (const [fault, message] of refused) {
    test(`${fault}: refused with an error naming the file, the bytes and what came back`, async () => {
      faults.push(fault);
      const files = new HttpDatastoreFiles(session, "DC0");
      await assert.rejects(collect(files, 4096, 64 * KiB), (error) => error instanceof SourceProviderError && message.test(error.message));
      assert.deepEqual(faults, [], "the fault was served");
    });
  }

  test("a range past the end of the file is an error, never zeros", async () => {
    const files = new HttpDatastoreFiles(session, "DC0");
    await assert.rejects(collect(files, FLAT.length - 100, 200), /HTTP 206 with Content-Range "bytes 262044-262143\/262144", not bytes 262044-262243/);
    await assert.rejects(collect(files, FLAT.length + 512, 512), /HTTP 416/);
  });

  test("a descriptor's head may be short (the file ends) or empty (416 on an empty file)", async () => {
    const files = new HttpDatastoreFiles(session, "DC0");
    const head = await files.readHead({ datastore: "ds1", path: "vm/disk.vmdk" }, 64 * KiB);
    assert.equal(Buffer.from(head).toString(), descriptor(FLAT.length / 512));
    assert.equal((await files.readHead({ datastore: "ds1", path: "vm/empty.vmdk" }, 64 * KiB)).length, 0);
  });
});

describe("a transfer over the file API", () => {
  test("a reset or a short reply is retried, and the hash is of the source's bytes", async () => {
    const reader = await openVmdkDisk(new HttpDatastoreFiles(session, "DC0"), { fileName: "[ds1] vm/disk.vmdk", capacityBytes: FLAT.length });
    faults.push("reset", "short206");
    const result = await transferDisk({ reader, stagingPath: join(dir, "retried.raw"), chunkBytes: 64 * KiB, concurrency: 1, retryBaseMs: 5 });
    assert.deepEqual(faults, []);
    assert.equal(result.sha256, `sha256:${createHash("sha256").update(FLAT).digest("hex")}`);
    assert.equal(result.zeroFilledTailBytes, 0);
  });

  test("a reply that stays short fails the transfer naming the file and offset, after the retries", async () => {
    const reader = await openVmdkDisk(new HttpDatastoreFiles(session, "DC0"), { fileName: "[ds1] vm/disk.vmdk", capacityBytes: FLAT.length });
    faults.push("short206", "short206", "short206");
    await assert.rejects(
      transferDisk({ reader, stagingPath: join(dir, "short.raw"), chunkBytes: 64 * KiB, concurrency: 1, retries: 2, retryBaseMs: 5 }),
      /\[ds1\] vm\/disk-flat\.vmdk: asked for bytes 0-65535, got HTTP 206 with Content-Range "bytes 0-32767\/32768"/,
    );
    assert.deepEqual(faults, [], "three attempts were made");
  });

  test("only the tail past the descriptor's extents reads as zeros, and the result says how much", async () => {
    const capacityBytes = FLAT.length + 128 * KiB;
    const reader = await openVmdkDisk(new HttpDatastoreFiles(session, "DC0"), { fileName: "[ds1] vm/grown.vmdk", capacityBytes });
    assert.equal(reader.zeroFilledTailBytes, 128 * KiB);
    const bytes = await readerBytes(reader);
    assert.ok(bytes.equals(Buffer.concat([FLAT, Buffer.alloc(128 * KiB)])));
    const result = await transferDisk({ reader, stagingPath: join(dir, "grown.raw"), chunkBytes: 64 * KiB });
    assert.equal(result.zeroFilledTailBytes, 128 * KiB);
    await assert.rejects(
      openVmdkDisk(new HttpDatastoreFiles(session, "DC0"), { fileName: "[ds1] vm/grown.vmdk", capacityBytes: FLAT.length - 512 }),
      /describes 262144 bytes but the VM's device reports 261632/,
    );
  });
});

describe("HttpDatastoreFiles.readRangeInto through the range client (onread)", () => {
  let viaClient: DatastoreSession;
  let connections = 0;
  before(() => {
    const { port } = server.address() as AddressInfo;
    server.on("connection", () => connections++);
    const connect: ConnectWithOnread = (onread) =>
      new Promise((resolve, reject) => {
        const socket = connectTcp({ host: "127.0.0.1", port, onread });
        socket.once("connect", () => resolve(socket)).once("error", reject);
      });
    viaClient = { ...session, sessionCookieHeader: session.sessionCookieHeader, ranges: new RangeClient(`127.0.0.1:${port}`, connect) };
  });
  after(() => viaClient.ranges?.close());

  const readInto = (files: HttpDatastoreFiles, offset: number, length: number, signal?: AbortSignal) => {
    const into = Buffer.alloc(length);
    return files.readRangeInto(flat, offset, into, signal).then(() => into);
  };

  test("ranges come back byte for byte into the caller's buffer, with the session cookie, over one kept-alive connection", async () => {
    const files = new HttpDatastoreFiles(viaClient, "DC0");
    const before = connections;
    for (const offset of [0, 1000, 70_000]) assert.ok((await readInto(files, offset, 50_000)).equals(FLAT.subarray(offset, offset + 50_000)));
    assert.equal(cookies.at(-1), "vmware_soap_session=s1");
    assert.equal(connections - before, 1, "one connection for three reads");
  });

  for (const [fault, message] of [
    ["short206", /asked for bytes 4096-69631, got HTTP 206 with Content-Range "bytes 4096-36863\/36864", not bytes 4096-69631/],
    ["status416", /asked for bytes 4096-69631, got HTTP 416/],
    ["wrongRange", /got HTTP 206 with Content-Range "bytes 0-65535\/262144", not bytes 4096-69631/],
    ["noSize", /the file's size is not stated/],
  ] as Array<[Fault, RegExp]>) {
    test(`${fault}: a reply the client does not read is asked again through the agent, which refuses it as readRange does`, async () => {
      faults.push(fault, fault);
      const files = new HttpDatastoreFiles(viaClient, "DC0");
      await assert.rejects(readInto(files, 4096, 64 * KiB), (error) => error instanceof SourceProviderError && message.test(error.message));
      assert.equal(faults.length, 0, "both asked");
      faults.push(fault); // once only: the second asking reads the right bytes
      assert.ok((await readInto(files, 4096, 64 * KiB)).equals(FLAT.subarray(4096, 4096 + 64 * KiB)));
    });
  }

  test("a body cut short fails naming the bytes that came, and is not asked again", async () => {
    faults.push("reset", "reset");
    const files = new HttpDatastoreFiles(viaClient, "DC0");
    await assert.rejects(readInto(files, 4096, 64 * KiB), /\[ds1\] vm\/disk-flat\.vmdk: reading bytes 4096-69631 failed after 1000 of 65536 bytes/);
    assert.deepEqual(faults, ["reset"], "the cut body is not read a second time here: the transfer retries the chunk");
    faults.length = 0;
  });

  test("an abort ends the read with the signal's reason", async () => {
    const files = new HttpDatastoreFiles(viaClient, "DC0");
    const stop = new AbortController();
    stop.abort(new Error("migration deleted"));
    await assert.rejects(readInto(files, 0, 64 * KiB, stop.signal), /migration deleted/);
  });

  test("a transfer reads through readInto: a reset is retried and the hash is of the source's bytes", async () => {
    const reader = await openVmdkDisk(new HttpDatastoreFiles(viaClient, "DC0"), { fileName: "[ds1] vm/disk.vmdk", capacityBytes: FLAT.length });
    assert.ok(reader.readInto, "the flat layer reads into the caller's buffer");
    faults.push("reset");
    const result = await transferDisk({ reader, stagingPath: join(dir, "into.raw"), chunkBytes: 64 * KiB, concurrency: 2, retryBaseMs: 5 });
    assert.deepEqual(faults, []);
    assert.equal(result.sha256, `sha256:${createHash("sha256").update(FLAT).digest("hex")}`);
  });
});
