// Path confinement: the pure judgement, and symlink resolution against real temp directories.
import assert from "node:assert/strict";
import { lstat, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ensureConfinedDir, isSafeDiskID, providerStorageRoots, judgePath, liesWithin, resolveConfined, resolveExisting } from "./confinement.ts";

describe("liesWithin", () => {
  it("accepts paths below the root, never the root itself (a disk is a file)", () => {
    assert.equal(liesWithin("/pool", "/pool"), false);
    assert.equal(liesWithin("/pool/", "/pool"), false);
    assert.equal(liesWithin("/pool/a.qcow2", "/pool"), true);
    assert.equal(liesWithin("/pool/sub/a.qcow2", "/pool"), true);
  });

  it("rejects parents, siblings sharing a prefix and other trees", () => {
    assert.equal(liesWithin("/", "/pool"), false);
    assert.equal(liesWithin("/pool2/a.qcow2", "/pool"), false);
    assert.equal(liesWithin("/etc/passwd", "/pool"), false);
    assert.equal(liesWithin("/pool/../x.raw", "/pool"), false);
  });

  it("accepts file names that merely start with two dots", () => {
    assert.equal(liesWithin("/pool/..backup.raw", "/pool"), true);
  });
});

describe("judgePath", () => {
  it("names the field, the value, the pool and its directory", () => {
    const v = judgePath("spec.importedDisk.path", "/etc/passwd", "/etc/passwd", ["/pool"], "landfall");
    assert.equal(v.ok, false);
    assert.match(v.message ?? "", /^spec\.importedDisk\.path "\/etc\/passwd" is outside storage pool "landfall" \(\/pool\)/);
    assert.match(v.message ?? "", /allowedStoragePaths/);
  });

  it("says where a path really resolves to", () => {
    const v = judgePath("spec.importedDisk.path", "/pool/link.raw", "/etc/passwd", ["/pool"], "landfall");
    assert.match(v.message ?? "", /resolves to "\/etc\/passwd"/);
  });

  it("refuses relative paths", () => {
    const v = judgePath("spec.importedDisk.path", "disk.raw", "disk.raw", ["/pool"], "landfall");
    assert.equal(v.ok, false);
    assert.match(v.message ?? "", /must be an absolute path/);
  });

  it("accepts any of the allowed roots", () => {
    assert.equal(judgePath("f", "/data/vm.raw", "/data/vm.raw", ["/pool", "/data"], "landfall").ok, true);
  });
});

describe("resolveConfined (real files)", () => {
  let dir: string;
  let pool: string;
  let outside: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "landfall-confine-"));
    pool = join(dir, "pool");
    outside = join(dir, "outside");
    await mkdir(pool);
    await mkdir(outside);
    await writeFile(join(pool, "ok.raw"), "x");
    await writeFile(join(outside, "secret.raw"), "x");
    await symlink(join(outside, "secret.raw"), join(pool, "escape.raw"));
    await symlink(join(outside, "not-yet.raw"), join(pool, "dangling.raw"));
    await symlink(outside, join(pool, "outdir"));
    await symlink(join(pool, "ok.raw"), join(outside, "back-in.raw"));
    await symlink("loop-b", join(pool, "loop-a"));
    await symlink("loop-a", join(pool, "loop-b"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const judge = (p: string, roots = [pool]) => resolveConfined("spec.importedDisk.path", p, { pool: "test-pool", roots });

  it("accepts a file in the pool, existing or not yet", async () => {
    assert.equal((await judge(join(pool, "ok.raw"))).ok, true);
    assert.equal((await judge(join(pool, "new.qcow2"))).ok, true);
  });

  it("rejects '..' that climbs out of the pool", async () => {
    const v = await judge(`${pool}/../../x`);
    assert.equal(v.ok, false);
    assert.equal(v.resolved, join(dir, "..", "x"));
  });

  it("rejects a symlink in the pool that points outside", async () => {
    const v = await judge(join(pool, "escape.raw"));
    assert.equal(v.ok, false);
    assert.equal(v.resolved, join(outside, "secret.raw"));
  });

  it("rejects a dangling symlink in the pool that points outside (a write would land there)", async () => {
    const v = await judge(join(pool, "dangling.raw"));
    assert.equal(v.ok, false);
    assert.equal(v.resolved, join(outside, "not-yet.raw"));
  });

  it("rejects a file not yet created below a symlinked directory that leaves the pool", async () => {
    const v = await judge(join(pool, "outdir", "new.raw"));
    assert.equal(v.ok, false);
    assert.equal(v.resolved, join(outside, "new.raw"));
  });

  it("accepts a link outside that points into the pool, judged by its target", async () => {
    const v = await judge(join(outside, "back-in.raw"));
    assert.equal(v.ok, true);
    assert.equal(v.resolved, join(pool, "ok.raw"));
  });

  it("accepts an outside path once its directory is allowed", async () => {
    assert.equal((await judge(join(outside, "secret.raw"), [pool, outside])).ok, true);
  });

  it("terminates on a symlink loop", async () => {
    const resolved = await resolveExisting(join(pool, "loop-a"));
    assert.ok(resolved.startsWith(pool), resolved);
  });

  it("ensureConfinedDir creates a staging directory in the pool, never through a link that leads out", async () => {
    assert.equal(await ensureConfinedDir(join(pool, ".staging", "uid-1"), pool), join(pool, ".staging", "uid-1"));
    await symlink(outside, join(pool, ".staging-link"));
    await assert.rejects(ensureConfinedDir(join(pool, ".staging-link", "uid-2"), pool), /outside .*a symlink leads out/);
    await assert.rejects(lstat(join(outside, "uid-2")), { code: "ENOENT" }, "nothing was created outside");
    await symlink(join(outside, "later"), join(pool, ".staging-dangling"));
    await assert.rejects(ensureConfinedDir(join(pool, ".staging-dangling", "uid-3"), pool), /outside/);
    await assert.rejects(lstat(join(outside, "later")), { code: "ENOENT" });
  });

  it("resolves a symlinked root, so a pool reached through a link still confines", async () => {
    const linkedPool = join(dir, "pool-link");
    await symlink(pool, linkedPool);
    assert.equal((await judge(join(pool, "ok.raw"), [linkedPool])).ok, true);
    assert.equal((await judge(join(outside, "secret.raw"), [linkedPool])).ok, false);
  });
});

describe("isSafeDiskID", () => {
  it("accepts plain file names only", () => {
    assert.equal(isSafeDiskID("web01-disk-0"), true);
    assert.equal(isSafeDiskID("vm_1.boot"), true);
    for (const bad of ["", "../etc", "a/b", ".hidden", "a..b", "a b"]) assert.equal(isSafeDiskID(bad), false, bad);
  });
});

describe("providerStorageRoots", () => {
  it("is the pool's directory first, then the allowed paths", () => {
    assert.deepEqual(providerStorageRoots({ pool: "lf", path: "/pool" }, {}), { pool: "lf", roots: ["/pool"] });
    assert.deepEqual(providerStorageRoots({ pool: "lf", path: "/pool" }, { allowedStoragePaths: ["/a", "/b"] }), { pool: "lf", roots: ["/pool", "/a", "/b"] });
  });
  it("covers every declared storage pool, so a disk placed in an extra pool is inside and one beside it is not", () => {
    const storage = providerStorageRoots({ pool: "lf", path: "/pool" }, { storagePools: [{ name: "fast", path: "/fast" }], allowedStoragePaths: ["/a"] });
    assert.deepEqual(storage.roots, ["/pool", "/fast", "/a"]);
    assert.equal(judgePath("spec.path", "/fast/vm-disk-1.qcow2", "/fast/vm-disk-1.qcow2", storage.roots, storage.pool).ok, true);
    const outside = judgePath("spec.path", "/fastx/vm.qcow2", "/fastx/vm.qcow2", storage.roots, storage.pool);
    assert.equal(outside.ok, false);
    assert.match(outside.message ?? "", /"\/fastx\/vm\.qcow2" is outside storage pool "lf" \(\/pool, \/fast, \/a\)/);
  });
});
