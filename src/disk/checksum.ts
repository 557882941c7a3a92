// The guest-visible checksum of a finished image, computed independently of the transfer by reading the
// image back: equal to `sha256sum` of the image converted to raw, so anyone can verify it with standard tools.
//
// The bytes never pass through landfall's process: `openssl dgst -sha256` (OpenSSL with SHA-NI, the same code as
// Node's crypto, ~1.7 GB/s here; coreutils sha256sum is 5× slower) reads the raw file itself, or the pipe that
// nbdcopy fills from qemu-nbd decoding a non-raw image (no temporary raw copy). Hashed in Node, the pipe's 64 KiB
// pieces were garbage the collector freed late: +23 MiB of the server's RSS per verify, and its CPU.
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import type { DiskReader } from "../providers/contract.ts";
import { imageInfo } from "./convert.ts";
import { timeoutForBytes, ToolError } from "./run-tool.ts";
import { DEFAULT_STALL_TIMEOUT_MS, readChunkFromSource } from "./source-read.ts";

const SHA256_PATTERN = /^sha256:[0-9a-f]{64}$/;
const READ_BYTES = 4 * 1024 * 1024;

/** "sha256:<hex>" of the image's guest-visible bytes. Safe on the image of a running VM (no lock taken). */
export async function imageSha256(path: string, format: string, options: { signal?: AbortSignal } = {}): Promise<string> {
  const info = await imageInfo(path, { format, signal: options.signal });
  const timeoutMs = timeoutForBytes(info.virtualSizeBytes);
  const hex = format === "raw" ? await hashFile(path, timeoutMs, options.signal) : await hashDecoded(path, format, timeoutMs, options.signal);
  const after = await imageInfo(path, { format, signal: options.signal });
  if (after.virtualSizeBytes !== info.virtualSizeBytes) {
    throw new Error(`${path} was ${info.virtualSizeBytes} bytes when hashing began and ${after.virtualSizeBytes} after; was it modified while hashing? Verify again once nothing writes it`);
  }
  return `sha256:${hex}`;
}

/** `openssl dgst -sha256 -r` of its stdin: the hex digest, once it exits 0. */
function opensslSha256(stdin: "pipe" | number, timeoutMs: number, signal?: AbortSignal): { child: ChildProcess; hex: Promise<string> } {
  const child = spawn("openssl", ["dgst", "-sha256", "-r"], { stdio: [stdin, "pipe", "pipe"], timeout: timeoutMs, signal });
  let stdout = "";
  child.stdout?.on("data", (piece: Buffer) => {
    stdout += piece.toString();
  });
  const hex = exitOf(child, "openssl dgst -sha256 -r", timeoutMs).then(() => {
    const digest = /^([0-9a-f]{64}) /.exec(stdout)?.[1];
    if (!digest) throw new Error(`openssl dgst -sha256 printed no digest: ${JSON.stringify(stdout.slice(0, 200))}`);
    return digest;
  });
  return { child, hex };
}

async function hashFile(path: string, timeoutMs: number, signal?: AbortSignal): Promise<string> {
  const file = await open(path, "r");
  try {
    return await opensslSha256(file.fd, timeoutMs, signal).hex;
  } finally {
    await file.close();
  }
}

async function hashDecoded(path: string, format: string, timeoutMs: number, signal?: AbortSignal): Promise<string> {
  const hasher = opensslSha256("pipe", timeoutMs, signal);
  hasher.hex.catch(() => {}); // awaited below, after the decoder's exit
  const args = nbdcopyToStdout(path, format);
  const pipe = hasher.child.stdin;
  if (!pipe) throw new Error("openssl was started without a stdin pipe");
  const decoder = spawn("nbdcopy", args, { stdio: ["ignore", pipe, "pipe"], timeout: timeoutMs, signal });
  // The pipe's write end now belongs to nbdcopy alone: openssl sees the end of the image when nbdcopy exits.
  pipe.destroy();
  try {
    await exitOf(decoder, `nbdcopy ${args.join(" ")}`, timeoutMs);
  } catch (error) {
    // A decoder that failed wrote part of the image: that digest must never be taken for the image's.
    hasher.child.kill("SIGKILL");
    throw error;
  }
  return hasher.hex;
}

/**
 * nbdcopy's arguments to decode the image with qemu-nbd (read-only, no lock) and write its guest bytes to stdout;
 * with `window`, only those guest bytes (a raw window over the decoded image, as writeAreasInto writes them).
 */
function nbdcopyToStdout(path: string, format: string, window?: { start: number; length: number }): string[] {
  // json: names the file without any option-string escaping; locking off = qemu-img's -U (shared read).
  const decoded = { driver: format, file: { driver: "file", filename: path, locking: "off" } };
  const node = window ? { driver: "raw", offset: window.start, size: window.length, file: decoded } : decoded;
  return ["--", "[", "qemu-nbd", "--read-only", `json:${JSON.stringify(node)}`, "]", "-"];
}

/**
 * Hands every guest-visible byte of the image to `onPiece`, in order (raw read directly, other formats decoded
 * by qemu-nbd through nbdcopy), for callers that need the bytes themselves (the warm cutover's chunk check);
 * fails when the bytes read are not the image's virtual size.
 */
export async function streamImage(path: string, format: string, onPiece: (piece: Buffer) => void, signal?: AbortSignal): Promise<number> {
  const info = await imageInfo(path, { format, signal });
  const timeoutMs = timeoutForBytes(info.virtualSizeBytes);
  const bytes = format === "raw" ? await readFileInPieces(path, onPiece, signal) : await readDecoded(path, format, timeoutMs, onPiece, signal);
  if (bytes !== info.virtualSizeBytes) {
    throw new Error(`read ${bytes} bytes from ${path} but its virtual size is ${info.virtualSizeBytes}; was it modified while reading?`);
  }
  return bytes;
}

/**
 * Hands the guest-visible bytes [start, start + length) of the image to `onPiece`, in order (raw read directly,
 * other formats through a raw window that qemu-nbd decodes): the warm precopy's read-back of the target image
 * ranges it wrote. Fails when fewer or more bytes arrive.
 */
export async function streamImageRange(path: string, format: string, area: { start: number; length: number }, onPiece: (piece: Buffer) => void, signal?: AbortSignal): Promise<void> {
  const timeoutMs = timeoutForBytes(area.length);
  const bytes =
    format === "raw"
      ? await readFileInPieces(path, onPiece, signal, { start: area.start, end: area.start + area.length - 1 })
      : await readDecoded(path, format, timeoutMs, onPiece, signal, area);
  if (bytes !== area.length) throw new Error(`read ${bytes} bytes of ${path} at ${area.start}, expected ${area.length}; is the image shorter than the disk?`);
}

async function readFileInPieces(path: string, onPiece: (piece: Buffer) => void, signal?: AbortSignal, range?: { start: number; end: number }): Promise<number> {
  let bytes = 0;
  for await (const piece of createReadStream(path, { highWaterMark: READ_BYTES, signal, ...range })) {
    onPiece(piece as Buffer);
    bytes += (piece as Buffer).length;
  }
  return bytes;
}

async function readDecoded(path: string, format: string, timeoutMs: number, onPiece: (piece: Buffer) => void, signal?: AbortSignal, window?: { start: number; length: number }): Promise<number> {
  const args = nbdcopyToStdout(path, format, window);
  const decoder = spawn("nbdcopy", args, { stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs, signal });
  const exited = exitOf(decoder, `nbdcopy ${args.join(" ")}`, timeoutMs);
  exited.catch(() => {}); // awaited below, after stdout drains
  let bytes = 0;
  try {
    for await (const piece of decoder.stdout as NodeJS.ReadableStream) {
      onPiece(piece as Buffer);
      bytes += (piece as Buffer).length;
    }
  } catch (error) {
    // The reader failed: stop the decoder rather than wait for its timeout.
    decoder.kill("SIGKILL");
    await exited.catch(() => {});
    throw error;
  }
  await exited;
  return bytes;
}

/** Resolves when the child exits 0; rejects with a ToolError naming it, why, and its stderr's tail. */
function exitOf(child: ChildProcess, shown: string, timeoutMs: number): Promise<void> {
  let stderr = "";
  child.stderr?.on("data", (piece: Buffer) => {
    stderr = (stderr + piece.toString()).slice(-4096);
  });
  return new Promise<void>((resolve, reject) => {
    child.on("error", (error) => reject(new ToolError(shown, null, stderr, `failed to run (${error.message})`)));
    child.on("close", (code, killedBy) => {
      if (code === 0) return resolve();
      reject(new ToolError(shown, code, stderr, killedBy ? `was killed by ${killedBy} (timeout ${timeoutMs} ms or abort)` : `exited with code ${code}`));
    });
  });
}

/** Thrown when the target's checksum differs from the source's; VMMigration reason ChecksumMismatch. */
export class ChecksumMismatchError extends Error {
  readonly reason = "ChecksumMismatch";
  readonly expected: string;
  readonly actual: string;
  readonly diskLabel: string;
  constructor(expected: string, actual: string, diskLabel: string) {
    super(
      `disk "${diskLabel}": target image checksum ${actual} does not match the source checksum ${expected}; ` +
        "the copy is damaged — retry the migration (the source is unchanged)",
    );
    this.name = "ChecksumMismatchError";
    this.expected = expected;
    this.actual = actual;
    this.diskLabel = diskLabel;
  }
}

/** Throws ChecksumMismatchError (message holds both hashes) unless the two "sha256:<hex>" values are equal. */
export function verifyMatch(expected: string, actual: string, diskLabel: string): void {
  for (const [field, value] of [
    ["expected", expected],
    ["actual", actual],
  ] as const) {
    if (!SHA256_PATTERN.test(value)) throw new Error(`disk "${diskLabel}": ${field} checksum "${value}" is not of the form sha256:<64 hex digits>`);
  }
  if (expected !== actual) throw new ChecksumMismatchError(expected, actual, diskLabel);
}

/**
 * sha256 of a reader's whole content, read sequentially range by range with the transfer's exact, retried,
 * stall-guarded reads (options.verifySource: reread): the reference the pipeline must match.
 */
export async function readerSha256(reader: DiskReader, signal?: AbortSignal, options: { stallTimeoutMs?: number } = {}): Promise<string> {
  const hash = createHash("sha256");
  const buffer = Buffer.allocUnsafe(Math.min(READ_BYTES, reader.sizeBytes));
  const read = { retries: 2, retryBaseMs: 200, stallTimeoutMs: options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS, signal: signal ?? new AbortController().signal };
  for (let offset = 0; offset < reader.sizeBytes; offset += buffer.length) {
    signal?.throwIfAborted();
    const chunk = buffer.subarray(0, Math.min(buffer.length, reader.sizeBytes - offset));
    await readChunkFromSource(reader, offset, chunk, read);
    hash.update(chunk);
  }
  return `sha256:${hash.digest("hex")}`;
}
