// kill -9 in the middle of a transfer, then resume from the last checkpoint the dead process reported:
// the result must be identical to an uninterrupted transfer (checkpoints and the chunk digests they cover are
// fdatasync'ed before they are reported).
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, test } from "node:test";
import { readerSha256 } from "./checksum.ts";
import { readerBytes, syntheticDisk } from "./synthetic-disk.ts";
import { type TransferCheckpoint, transferDisk } from "./transfer.ts";

const MiB = 1024 * 1024;
let dir: string | undefined;
let child: ChildProcess | undefined;
after(async () => {
  child?.kill("SIGKILL");
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("kill -9 mid-transfer, resume from the last reported checkpoint: identical hash and file", async () => {
  dir = await mkdtemp(join(tmpdir(), "landfall-crash-"));
  const staging = join(dir, "disk.raw");
  const size = 24 * MiB + 512;
  const seed = 21;
  const fixture = new URL("./transfer-crash.fixture.ts", import.meta.url).pathname;
  child = spawn(process.execPath, ["--no-warnings", fixture, staging, String(size), String(seed)], {
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 60_000,
  });
  let stderr = "";
  child.stderr?.on("data", (piece: Buffer) => {
    stderr += piece.toString();
  });
  const exited = new Promise<string | null>((resolve) => child?.on("exit", (_code, signal) => resolve(signal)));

  let last: TransferCheckpoint | undefined;
  let seen = 0;
  for await (const line of createInterface({ input: child.stdout as NodeJS.ReadableStream })) {
    last = JSON.parse(line) as TransferCheckpoint;
    if (++seen === 6) {
      child.kill("SIGKILL");
      break;
    }
  }
  assert.equal(await exited, "SIGKILL", `the child should have been killed mid-transfer; stderr: ${stderr}`);
  assert.ok(last && last.checkpointOffset > 0 && last.checkpointOffset < size, `checkpoint ${last?.checkpointOffset}`);

  const disk = syntheticDisk({ sizeBytes: size, seed });
  const result = await transferDisk({ reader: disk, stagingPath: staging, chunkBytes: MiB, resumeFrom: { offset: last.checkpointOffset } });
  assert.equal(result.sha256, await readerSha256(disk));
  assert.ok((await readFile(staging)).equals(await readerBytes(disk)), "staging file after crash + resume differs from the source");
  // The digests the dead process recorded before its last checkpoint survived it: the prefix is verified
  // against them, not read again.
  assert.deepEqual([result.verifiedChunks, result.rereadChunks], [last.checkpointOffset / MiB, 0]);
});
