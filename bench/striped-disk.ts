// The source disks of the benches: a file whose every 2 MiB stripe starts with random bytes and ends in a hole, like a
// VM disk that is partly used (half used at the default fraction).
import { randomFillSync } from "node:crypto";
import { open } from "node:fs/promises";

const STRIPE = 2 * 1024 * 1024;

/** Writes the disk at path; returns the bytes of data it holds (the rest is holes). */
export async function stripedDisk(path: string, sizeBytes: number, randomFraction = 0.5): Promise<number> {
  const f = await open(path, "w");
  const data = Buffer.alloc(Math.round((STRIPE * randomFraction) / 4096) * 4096);
  try {
    for (let at = 0; at < sizeBytes; at += STRIPE) {
      randomFillSync(data);
      await f.write(data, 0, data.length, at);
    }
    await f.truncate(sizeBytes);
  } finally {
    await f.close();
  }
  return (sizeBytes / STRIPE) * data.length;
}
