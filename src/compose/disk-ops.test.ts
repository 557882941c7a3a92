// The disk operations the composition root hands the migration runner: cancelling a migration must stop them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { syntheticDisk } from "../disk/synthetic-disk.ts";
import { diskOps } from "./disk-ops.ts";

test("re-reading a source disk (verifySource: reread) stops when the migration's signal aborts", async () => {
  const stop = new AbortController();
  stop.abort(new Error("migration deleted"));
  await assert.rejects(diskOps.readerSha256(syntheticDisk({ sizeBytes: 4 << 20 }), stop.signal), /migration deleted/);
});
