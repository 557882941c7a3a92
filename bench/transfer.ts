// Benchmark (not a test): transferDisk over loopback HTTPS against plain `curl -k` of the same file.
// Serves a half-random, half-zero disk from a separate process with a self-signed certificate, then reports
// throughput, the ratio to curl and the measuring process's peak RSS growth, per chunk/concurrency setting.
//   node bench/transfer.ts [--size-mib 1024] [--configs 8x4,4x4,16x2] [--url URL]
// --url points the reader at another Range-capable server (e.g. a vcsim datastore file) instead.
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs, promisify } from "node:util";
import { transferDisk } from "../src/disk/transfer.ts";
import { openHttpsDiskReader } from "./https-disk-reader.ts";
import { stripedDisk } from "./striped-disk.ts";

const MiB = 1024 * 1024;
const run = promisify(execFile);

const { values } = parseArgs({
  options: {
    "size-mib": { type: "string", default: "1024" },
    configs: { type: "string", default: "8x4,4x4,16x2,8x1" },
    url: { type: "string" },
  },
});
const sizeBytes = Number(values["size-mib"]) * MiB;
const configs = (values.configs ?? "").split(",").map((pair) => {
  const [chunkMiB, concurrency] = pair.split("x").map(Number);
  return { chunkMiB, concurrency };
});

async function fileSha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const piece of createReadStream(path, { highWaterMark: 4 * MiB })) hash.update(piece as Buffer);
  return `sha256:${hash.digest("hex")}`;
}

async function startServer(file: string, dir: string): Promise<{ url: string; stop: () => void }> {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  await run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1"], { timeout: 30_000 });
  const server = spawn(process.execPath, ["--no-warnings", new URL("./serve-disk.ts", import.meta.url).pathname, file, cert, key], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  for await (const url of createInterface({ input: server.stdout })) return { url, stop: () => server.kill() };
  throw new Error("bench server exited before printing its URL");
}

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { seconds: (performance.now() - started) / 1000, value };
}

const dir = await mkdtemp(join(tmpdir(), "landfall-bench-"));
let stopServer = () => {};
try {
  let url = values.url;
  let expected: string | undefined;
  if (!url) {
    const source = join(dir, "disk.raw");
    await stripedDisk(source, sizeBytes);
    expected = await fileSha256(source);
    const server = await startServer(source, dir);
    url = server.url;
    stopServer = server.stop;
  }
  const curlOut = join(dir, "curl.raw");
  const curl = await timed(() => run("curl", ["-k", "-s", "-f", "-o", curlOut, url], { timeout: 600_000 }));
  await rm(curlOut);
  console.log(`curl -k to local disk: ${curl.seconds.toFixed(2)} s`);

  for (const { chunkMiB, concurrency } of configs) {
    const reader = await openHttpsDiskReader({ url, insecure: true, connections: concurrency });
    const staging = join(dir, "staging.raw");
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss());
    }, 10);
    const transfer = await timed(() => transferDisk({ reader, stagingPath: staging, chunkBytes: chunkMiB * MiB, concurrency }));
    clearInterval(sampler);
    await reader.close();
    await rm(staging);
    const { sha256, bytes } = transfer.value;
    if (expected && sha256 !== expected) throw new Error(`transfer hash ${sha256} differs from the file's ${expected}`);
    console.log(
      `transferDisk ${chunkMiB} MiB × ${concurrency}: ${transfer.seconds.toFixed(2)} s, ` +
        `${(bytes / MiB / transfer.seconds).toFixed(0)} MiB/s, ${(transfer.seconds / curl.seconds).toFixed(2)}× curl, ` +
        `peak RSS +${((peak - baseline) / MiB).toFixed(0)} MiB`,
    );
  }
} finally {
  stopServer();
  await rm(dir, { recursive: true, force: true });
}
