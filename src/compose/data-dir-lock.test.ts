import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { DataDirInUseError, lockDataDir } from "./data-dir-lock.ts";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "landfall-lock-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("a second lock on one data dir is refused naming the holder's URL; after release it is free again", () => {
  const first = lockDataDir(dir);
  assert.throws(() => lockDataDir(dir), (error) => error instanceof DataDirInUseError && /still starting, no address yet\) \(pid \d+/.test(error.message));
  first.announce("http://127.0.0.1:7781");
  assert.throws(
    () => lockDataDir(dir),
    (error) => error instanceof DataDirInUseError && error.message.includes(`in use by another landfall serve at http://127.0.0.1:7781 (pid ${process.pid}`),
  );
  first.release();
  const second = lockDataDir(dir);
  second.release();
});
