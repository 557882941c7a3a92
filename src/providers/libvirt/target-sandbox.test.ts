// Files the libvirt target creates never follow a symlink out of the pool, and it grows nothing whose chain
// leaves the pool. Real qemu-img and files; libvirt's test:///default driver (no pool of that name there, so
// pool refreshes are skipped as for a pool never ensured).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type { TargetProvider } from "../contract.ts";
import { LibvirtError } from "./errors.ts";
import { createLibvirtTarget } from "./target.ts";

const exec = promisify(execFile);
const qemuImg = (...args: string[]) => exec("qemu-img", args);
const VICTIM_BYTES = "must stay exactly like this\n";

describe("libvirt target: no write through a symlink, no chain out of the pool", () => {
  let dir: string;
  let pool: string;
  let outside: string;
  let victim: string;
  let source: string;
  let target: TargetProvider;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "landfall-target-sandbox-"));
    pool = join(dir, "pool");
    outside = join(dir, "outside");
    await mkdir(pool);
    await mkdir(outside);
    victim = join(outside, "victim.img");
    source = join(dir, "source.raw");
    await qemuImg("create", "-q", "-f", "raw", source, "1M");
    target = createLibvirtTarget({ uri: "test:///default", storagePool: "sandbox-test-pool-absent", storagePoolPath: pool });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const plantVictim = () => writeFile(victim, VICTIM_BYTES);

  it("refuses a volume name where a symlink to a file outside was planted, and leaves that file alone", async () => {
    await plantVictim();
    await symlink(victim, join(pool, "planted.qcow2"));
    await assert.rejects(target.importDisk({ diskID: "planted", sourcePath: source, sourceFormat: "raw", format: "qcow2" }), (err: unknown) => {
      assert.ok(err instanceof LibvirtError);
      assert.equal(err.code, "OutsideStorage");
      assert.match(err.message, /planted\.qcow2 is a symlink/);
      return true;
    });
    assert.equal(await readFile(victim, "utf8"), VICTIM_BYTES);
  });

  it("refuses a dangling symlink at the volume name too (a write would create the file outside)", async () => {
    await symlink(join(outside, "created-through-link.qcow2"), join(pool, "dangling.qcow2"));
    await assert.rejects(target.importDisk({ diskID: "dangling", sourcePath: source, sourceFormat: "raw", format: "qcow2" }), /is a symlink/);
    await assert.rejects(lstat(join(outside, "created-through-link.qcow2")), { code: "ENOENT" });
  });

  it("does not write through a symlink planted at the hidden partial name of an import or an overlay", async () => {
    await plantVictim();
    await symlink(victim, join(pool, ".partial-import.qcow2.partial"));
    const volume = await target.importDisk({ diskID: "partial-import", sourcePath: source, sourceFormat: "raw", format: "qcow2" });
    assert.equal(volume.path, join(pool, "partial-import.qcow2"));
    assert.ok((await lstat(volume.path)).isFile(), "the volume is a regular file");
    assert.equal(await readFile(victim, "utf8"), VICTIM_BYTES);

    await symlink(victim, join(pool, ".partial-overlay.qcow2.partial"));
    const overlay = await target.createOverlay({ diskID: "partial-overlay", backingPath: volume.path, backingFormat: "qcow2" });
    assert.ok((await lstat(overlay.path)).isFile());
    assert.equal(await readFile(victim, "utf8"), VICTIM_BYTES);
  });

  it("refuses to grow a disk in the pool whose backing file lies outside, naming it", async () => {
    const disk = join(pool, "grow.qcow2");
    await qemuImg("create", "-q", "-f", "qcow2", "-u", "-b", join(outside, "base.raw"), "-F", "raw", disk, "1M");
    await assert.rejects(target.growDisk(disk, "qcow2", 4 << 20), (err: unknown) => {
      assert.ok(err instanceof LibvirtError);
      assert.equal(err.code, "OutsideStorage");
      assert.match(err.message, new RegExp(`backing file "${join(outside, "base.raw")}" is outside`));
      return true;
    });
  });

  it("refuses to delete through a symlink in the pool that points outside", async () => {
    await plantVictim();
    await symlink(victim, join(pool, "delete-me.raw"));
    await assert.rejects(target.deleteDisk(join(pool, "delete-me.raw")), /outside storage pool/);
    assert.equal(await readFile(victim, "utf8"), VICTIM_BYTES);
  });

  it("refuses to move a symlinked source into the pool (the link would become the volume)", async () => {
    await plantVictim();
    const staged = join(dir, "staged-link.raw");
    await symlink(victim, staged);
    await assert.rejects(target.importDisk({ diskID: "moved-link", sourcePath: staged, sourceFormat: "raw", format: "raw", consumeSource: true }), /is a symlink/);
    await assert.rejects(lstat(join(pool, "moved-link.raw")), { code: "ENOENT" });
    assert.equal(await readFile(victim, "utf8"), VICTIM_BYTES);
  });
});
