// Child process for transfer-crash.test.ts: transfers a slow synthetic disk and prints every checkpoint as
// a JSON line, so the parent can kill -9 it mid-transfer. Not a test by itself.
import type { DiskReader } from "../providers/contract.ts";
import { syntheticDisk } from "./synthetic-disk.ts";
import { transferDisk } from "./transfer.ts";

const [stagingPath, sizeBytes, seed] = process.argv.slice(2);
const disk = syntheticDisk({ sizeBytes: Number(sizeBytes), seed: Number(seed) });
const slow: DiskReader = {
  sizeBytes: disk.sizeBytes,
  async *readRange(offset, length, signal) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    yield* disk.readRange(offset, length, signal);
  },
  close: async () => {},
};
await transferDisk({
  reader: slow,
  stagingPath,
  chunkBytes: 1024 * 1024,
  concurrency: 2,
  progressIntervalMs: 0,
  onProgress: (progress) => {
    process.stdout.write(`${JSON.stringify(progress)}\n`);
  },
});
