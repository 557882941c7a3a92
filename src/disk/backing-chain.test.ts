// The backing chain of an image is judged level by level before anything opens the next level: real qemu-img,
// real files in a temp "pool" and an "outside" directory.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { confineImageChain, isProtocolName } from "./backing-chain.ts";

const exec = promisify(execFile);
const qemuImg = (...args: string[]) => exec("qemu-img", args);

describe("confineImageChain (real qemu-img)", () => {
  let dir: string;
  let pool: string;
  let outside: string;
  const storage = () => ({ pool: "test-pool", roots: [pool] });
  const judge = (file: string, format: string | undefined = "qcow2") => confineImageChain("spec.importedDisk.path", join(pool, file), format, storage());

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "landfall-chain-"));
    pool = join(dir, "pool");
    outside = join(dir, "outside");
    await mkdir(pool);
    await mkdir(outside);
    await qemuImg("create", "-q", "-f", "raw", join(outside, "base.raw"), "1M");
    await qemuImg("create", "-q", "-f", "raw", join(pool, "base.raw"), "1M");
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("accepts a chain that stays in the pool and lists its files", async () => {
    await qemuImg("create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", join(pool, "good.qcow2"));
    const v = await judge("good.qcow2");
    assert.equal(v.ok, true, v.message);
    assert.deepEqual(v.files, [join(pool, "good.qcow2"), join(pool, "base.raw")]);
  });

  it("accepts a path that does not exist yet (nothing reads it)", async () => {
    assert.equal((await judge("later.qcow2")).ok, true);
  });

  it("refuses a qcow2 whose backing file is /etc/shadow, naming it", async () => {
    await qemuImg("create", "-q", "-f", "qcow2", "-u", "-b", "/etc/shadow", "-F", "raw", join(pool, "shadow.qcow2"), "1M");
    const v = await judge("shadow.qcow2");
    assert.equal(v.ok, false);
    assert.match(v.message ?? "", /backing file "\/etc\/shadow" is outside storage pool "test-pool"/);
  });

  it("refuses a backing file that is a symlink in the pool pointing outside, naming where it leads", async () => {
    await symlink(join(outside, "base.raw"), join(pool, "link.raw"));
    await qemuImg("create", "-q", "-f", "qcow2", "-u", "-b", "link.raw", "-F", "raw", join(pool, "via-link.qcow2"), "1M");
    const v = await judge("via-link.qcow2");
    assert.equal(v.ok, false);
    assert.match(v.message ?? "", new RegExp(`backing file "${join(pool, "link.raw")}" \\(it resolves to "${join(outside, "base.raw")}"\\) is outside`));
  });

  it("refuses a two-level chain whose second level lies outside, naming that file and the level", async () => {
    await qemuImg("create", "-q", "-f", "qcow2", "-u", "-b", join(outside, "base.raw"), "-F", "raw", join(pool, "mid.qcow2"), "1M");
    await qemuImg("create", "-q", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", join(pool, "top.qcow2"));
    const v = await judge("top.qcow2");
    assert.equal(v.ok, false);
    assert.match(v.message ?? "", new RegExp(`chain level "${join(pool, "mid.qcow2")}"\\) backing file "${join(outside, "base.raw")}" is outside`));
    assert.deepEqual(v.files, [join(pool, "top.qcow2"), join(pool, "mid.qcow2")], "the outside level was never opened");
  });

  it("judges a backing name before anything opens it: a missing outside backing is refused as outside, not as unreadable", async () => {
    await qemuImg("create", "-q", "-f", "qcow2", "-u", "-b", join(outside, "gone.raw"), "-F", "raw", join(pool, "gone.qcow2"), "1M");
    const v = await judge("gone.qcow2");
    assert.equal(v.ok, false);
    assert.match(v.message ?? "", /gone\.raw" is outside/);
  });

  it("follows a backing file without a recorded format by sniffing its magic, not letting qemu probe", async () => {
    await qemuImg("create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", join(pool, "level2.qcow2"));
    await qemuImg("create", "-q", "-f", "qcow2", "-b", "level2.qcow2", "-F", "qcow2", join(pool, "noformat.qcow2"));
    // Turn the backing-format header extension (0xe2792aca) into an unknown one, which qemu ignores.
    const bytes = await readFile(join(pool, "noformat.qcow2"));
    const at = bytes.indexOf(Buffer.from([0xe2, 0x79, 0x2a, 0xca]));
    assert.ok(at > 0, "backing format extension found");
    bytes.writeUInt32BE(0x12345678, at);
    await writeFile(join(pool, "noformat.qcow2"), bytes);
    const { stdout } = await qemuImg("info", "-U", "--output=json", "-f", "qcow2", join(pool, "noformat.qcow2"));
    assert.equal((JSON.parse(stdout) as Record<string, unknown>)["backing-filename-format"], undefined, "no backing format recorded");
    const v = await judge("noformat.qcow2");
    assert.equal(v.ok, true, v.message);
    assert.deepEqual(v.files, [join(pool, "noformat.qcow2"), join(pool, "level2.qcow2"), join(pool, "base.raw")]);
  });

  it("refuses a qcow2 whose external data file lies outside", async () => {
    await qemuImg("create", "-q", "-f", "qcow2", "-o", `data_file=${join(outside, "data.raw")},data_file_raw=on`, join(pool, "datafile.qcow2"), "1M");
    const v = await judge("datafile.qcow2");
    assert.equal(v.ok, false);
    assert.match(v.message ?? "", /data file ".*outside\/data\.raw" is outside/);
  });

  it("refuses a VMDK descriptor whose extent lies outside before qemu-img opens it (a missing extent would make qemu-img fail first)", async () => {
    const descriptor = (extent: string) =>
      `# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\n\nRW 2048 FLAT "${extent}" 0\n`;
    await writeFile(join(pool, "escape.vmdk"), descriptor(join(outside, "base.raw")));
    await writeFile(join(pool, "missing.vmdk"), descriptor("../outside/never-there-flat.vmdk"));
    for (const [file, named] of [["escape.vmdk", "outside/base.raw"], ["missing.vmdk", "outside/never-there-flat.vmdk"]]) {
      const v = await judge(file, "vmdk");
      assert.equal(v.ok, false, file);
      assert.match(v.message ?? "", new RegExp(`extent ".*${named}" is outside`), file);
    }
    await qemuImg("convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=monolithicFlat", join(pool, "base.raw"), join(pool, "flat.vmdk"));
    const ok = await judge("flat.vmdk", "vmdk");
    assert.equal(ok.ok, true, ok.message);
    await qemuImg("convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=monolithicSparse", join(pool, "base.raw"), join(pool, "sparse.vmdk"));
    const sparse = await judge("sparse.vmdk", "vmdk");
    assert.equal(sparse.ok, true, sparse.message);
    assert.equal(sparse.sniffedFormat, "vmdk");
  });

  it("refuses backing names qemu would open through a protocol", async () => {
    await qemuImg("create", "-q", "-f", "qcow2", "-u", "-b", 'json:{"driver":"file","filename":"/etc/shadow"}', "-F", "raw", join(pool, "json.qcow2"), "1M");
    const v = await judge("json.qcow2");
    assert.equal(v.ok, false);
    assert.match(v.message ?? "", /is not a local file/);
    assert.equal(isProtocolName("nbd://host/export"), true);
    assert.equal(isProtocolName("https://x/y"), true);
    assert.equal(isProtocolName("/pool/a:b.raw"), false);
    assert.equal(isProtocolName("base.raw"), false);
  });

  it("refuses a chain that loops", async () => {
    await qemuImg("create", "-q", "-f", "qcow2", "-u", "-b", "loop-b.qcow2", "-F", "qcow2", join(pool, "loop-a.qcow2"), "1M");
    await qemuImg("create", "-q", "-f", "qcow2", "-u", "-b", "loop-a.qcow2", "-F", "qcow2", join(pool, "loop-b.qcow2"), "1M");
    const v = await judge("loop-a.qcow2");
    assert.equal(v.ok, false);
    assert.match(v.message ?? "", /loops back/);
  });
});
