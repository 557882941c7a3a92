import assert from "node:assert/strict";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { isSafeDiskID, liesInside, resolveReal } from "./storage-path.ts";

test("liesInside accepts files below the pool and nothing else", () => {
  assert.equal(liesInside("/var/lib/landfall/images", "/var/lib/landfall/images/a.qcow2"), true);
  assert.equal(liesInside("/var/lib/landfall/images/", "/var/lib/landfall/images/sub/a.raw"), true);
  assert.equal(liesInside("/var/lib/landfall/images", "/var/lib/landfall/images"), false, "the pool itself");
  assert.equal(liesInside("/var/lib/landfall/images", "/var/lib/landfall/images/../x.raw"), false);
  assert.equal(liesInside("/var/lib/landfall/images", "/var/lib/landfall/images2/a.raw"), false, "prefix is not inside");
  assert.equal(liesInside("/var/lib/landfall/images", "/etc/shadow"), false);
});

test("resolveReal follows symlinks, so a link in the pool cannot point outside", async () => {
  const dir = await mkdtemp(join(tmpdir(), "landfall-paths-"));
  try {
    const pool = join(dir, "pool");
    const outside = join(dir, "outside.raw");
    await writeFile(outside, "x");
    await import("node:fs/promises").then((fs) => fs.mkdir(pool));
    await symlink(outside, join(pool, "link.raw"));
    const realPool = await resolveReal(pool);
    assert.equal(liesInside(realPool, await resolveReal(join(pool, "link.raw"))), false);
    assert.equal(liesInside(realPool, await resolveReal(join(pool, "missing.raw"))), true, "missing files resolve too");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("disk IDs must be plain file names", () => {
  assert.equal(isSafeDiskID("web01-disk-0"), true);
  assert.equal(isSafeDiskID("vm_1.boot"), true);
  for (const bad of ["", "../etc", "a/b", ".hidden", "a..b", "a b"]) assert.equal(isSafeDiskID(bad), false, bad);
});
