// A libvirt target with extra storage pools: importDisk places a volume in the pool it is asked for, any other pool
// name is refused naming the declared ones, and growing or deleting works in every declared pool and nowhere else.
// Real qemu-img and files; libvirt's test:///default driver (no pools of these names, so refreshes are skipped).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { access, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type { TargetProvider } from "../contract.ts";
import { LibvirtError } from "./errors.ts";
import { createLibvirtTarget } from "./target.ts";

const exec = promisify(execFile);

describe("libvirt target: extra storage pools", () => {
  let dir: string;
  let main: string;
  let fast: string;
  let source: string;
  let target: TargetProvider;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "landfall-target-pools-"));
    main = join(dir, "main");
    fast = join(dir, "fast");
    await mkdir(main);
    await mkdir(fast);
    source = join(dir, "source.raw");
    await exec("qemu-img", ["create", "-q", "-f", "raw", source, "1M"]);
    target = createLibvirtTarget({ uri: "test:///default", storagePool: "pools-test-main-absent", storagePoolPath: main, storagePools: [{ name: "pools-test-fast-absent", path: fast }] });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("imports into the pool named, the default pool without one", async () => {
    const inFast = await target.importDisk({ diskID: "d1", sourcePath: source, sourceFormat: "raw", format: "qcow2", pool: "pools-test-fast-absent" });
    assert.equal(inFast.path, join(fast, "d1.qcow2"));
    const inMain = await target.importDisk({ diskID: "d2", sourcePath: source, sourceFormat: "raw", format: "qcow2" });
    assert.equal(inMain.path, join(main, "d2.qcow2"));
  });

  it("refuses a pool the Provider does not declare, naming those it does, and writes nothing", async () => {
    await assert.rejects(target.importDisk({ diskID: "d3", sourcePath: source, sourceFormat: "raw", format: "qcow2", pool: "gold" }), (err: unknown) => {
      assert.ok(err instanceof LibvirtError);
      assert.equal(err.code, "InvalidArgument");
      assert.match(err.message, /storage pool "gold" is not one of this Provider's pools \("pools-test-main-absent", "pools-test-fast-absent"\)/);
      return true;
    });
    await assert.rejects(access(join(main, "d3.qcow2")));
  });

  it("grows and deletes volumes in an extra pool, and nothing beside the pools", async () => {
    const grown = await target.growDisk(join(fast, "d1.qcow2"), "qcow2", 2 << 20);
    assert.equal(grown.virtualSizeBytes, 2 << 20);
    await target.deleteDisk(join(fast, "d1.qcow2"));
    await assert.rejects(access(join(fast, "d1.qcow2")));
    await assert.rejects(target.deleteDisk(source), /outside storage pool "pools-test-main-absent" \(.*\) and the Provider's other pools "pools-test-fast-absent"/);
    await access(source);
  });
});
