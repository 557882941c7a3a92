import assert from "node:assert/strict";
import { test } from "node:test";
import type { DiskReader } from "../../providers/contract.ts";
import { lazyReader } from "./precopy.ts";

test("lazyReader opens the source disk once, on first use, and closes it only if it was opened", async () => {
  let opens = 0;
  let closes = 0;
  const disk: DiskReader = {
    sizeBytes: 1,
    async *readRange() {},
    close: async () => {
      closes++;
    },
  };
  const unused = lazyReader(async () => {
    opens++;
    return disk;
  });
  await unused.close();
  assert.deepEqual([opens, closes], [0, 0], "a precopy with nothing to read never opens the disk");
  const used = lazyReader(async () => {
    opens++;
    return disk;
  });
  assert.equal(await used.get(), disk);
  assert.equal(await used.get(), disk);
  await used.close();
  assert.deepEqual([opens, closes], [1, 1]);
});
