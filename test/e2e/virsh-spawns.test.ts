// How many virsh processes the libvirt target starts for the calls every migration and every Provider reconcile
// make (each fork of the server costs milliseconds of event loop, more with a large heap). Counted by a virsh
// shim first on PATH (test code only) that logs its arguments and runs the real virsh; real libvirtd.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type { TargetProvider, TargetVM } from "../../src/providers/contract.ts";
import { ToolRunner } from "../../src/disk/run-tool.ts";
import { createLibvirtTarget } from "../../src/providers/libvirt/target.ts";
import { DUMPXML_BATCH, Virsh } from "../../src/providers/libvirt/virsh.ts";
import { createTempLibvirt, TEST_URI, type TempLibvirt } from "../harness/libvirt.ts";

const run = promisify(execFile);

describe("libvirt target: virsh processes per call", () => {
  let env: TempLibvirt;
  let shimDir: string;
  let log: string;
  let target: TargetProvider;
  const savedPath = process.env.PATH;

  /** The virsh commands (first word of the argument after -c URI) that fn started, one per process. */
  async function spawnsOf(fn: () => Promise<unknown>): Promise<string[]> {
    await writeFile(log, "");
    await fn();
    return (await readFile(log, "utf8")).split("\n").filter(Boolean).map((line) => line.split(" ")[0]);
  }

  before(async () => {
    env = await createTempLibvirt("spawns");
    shimDir = await mkdtemp(join(tmpdir(), "landfall-virsh-shim-"));
    log = join(shimDir, "calls.log");
    const real = (await run("which", ["virsh"])).stdout.trim();
    // With a file "down" beside it, the shim answers "version" as an unreachable libvirtd would.
    const down = `if [ -e "${join(shimDir, "down")}" ] && [ "$3" = version ]; then echo "error: failed to connect to the hypervisor" >&2; exit 1; fi`;
    await writeFile(join(shimDir, "virsh"), `#!/bin/sh\necho "$3" >> "${log}"\n${down}\nexec "${real}" "$@"\n`);
    await chmod(join(shimDir, "virsh"), 0o755);
    process.env.PATH = `${shimDir}:${savedPath}`;
    target = createLibvirtTarget({ uri: TEST_URI, storagePool: env.pool, storagePoolPath: env.poolPath, consoleLogDir: env.consoleLogDir });
    await target.ensureStorage(); // defines, builds, starts the pool: the first call's extra work
  });
  after(async () => {
    process.env.PATH = savedPath;
    await env.cleanup();
    await rm(shimDir, { recursive: true, force: true });
  });

  it("check reuses a healthy answer for two seconds and never an unhealthy one", async () => {
    await writeFile(join(shimDir, "down"), "");
    const unhealthy = await spawnsOf(async () => {
      assert.equal((await target.check()).ready, false);
      assert.equal((await target.check()).ready, false);
    });
    assert.deepEqual(unhealthy, ["version", "version"], "libvirt is asked again after an unhealthy answer");
    await rm(join(shimDir, "down"));
    const healthy = await spawnsOf(async () => {
      const [a, b] = await Promise.all([target.check(), target.check()]);
      assert.equal(a.ready && b.ready, true);
      assert.equal((await target.check()).ready, true);
    });
    assert.deepEqual(healthy, ["version"]);
    await writeFile(join(shimDir, "down"), "");
    await new Promise((r) => setTimeout(r, 2_100));
    assert.equal((await target.check()).ready, false, "after the window libvirt is asked again");
    await rm(join(shimDir, "down"));
  });

  it("ensureStorage of a running pool is two virsh processes, none again for two seconds, and reports the pool's filesystem space each time", async () => {
    await new Promise((r) => setTimeout(r, 2_100)); // past the window of before()'s call
    let storage: Awaited<ReturnType<TargetProvider["ensureStorage"]>> | undefined;
    const calls = await spawnsOf(async () => {
      storage = await target.ensureStorage();
    });
    assert.deepEqual(calls, ["pool-info", "pool-dumpxml"]);
    const df = async () => (await run("df", ["-B1", "--output=avail,size", env.poolPath])).stdout.trim().split("\n")[1].trim().split(/\s+/).map(Number);
    const [avail, size] = await df();
    assert.ok(storage && Math.abs(storage.availableBytes - avail) < 64 << 20, `available ${storage?.availableBytes} vs df ${avail}`);
    assert.equal(storage?.capacityBytes, size);
    // Within the window: no virsh, and the space is read again (a 128 MiB file written meanwhile shows).
    const filler = join(env.poolPath, "spawns-filler.raw");
    await run("dd", ["if=/dev/zero", `of=${filler}`, "bs=1M", "count=128", "conv=fsync", "status=none"]);
    const again = await spawnsOf(async () => {
      storage = await target.ensureStorage();
    });
    await rm(filler);
    assert.deepEqual(again, [], "the pool found a moment ago is not asked of libvirt again");
    assert.ok(storage && Math.abs(storage.availableBytes - (await df())[0] + (128 << 20)) < 64 << 20, `available ${storage?.availableBytes} read afresh`);
    // After it, libvirt is asked again: a pool undefined meanwhile is defined again.
    await run("virsh", ["-c", TEST_URI, "pool-destroy", env.pool]);
    await run("virsh", ["-c", TEST_URI, "pool-undefine", env.pool]);
    await new Promise((r) => setTimeout(r, 2_100));
    const later = await spawnsOf(() => target.ensureStorage());
    assert.ok(later.includes("pool-define-as"), `the pool is defined again: ${later.join(" ")}`);
    assert.match(await run("virsh", ["-c", TEST_URI, "pool-info", env.pool]).then((r) => r.stdout), /State:\s+running/);
  });

  it("listVMs asks each domain's state through three state listings, not one domstate per domain", async () => {
    const disk = join(env.poolPath, "spawns.qcow2");
    await run("qemu-img", ["create", "-q", "-f", "qcow2", disk, "1M"]);
    let defined: TargetVM | undefined;
    const defining = await spawnsOf(async () => {
      defined = await target.createVM({ name: `${env.prefix}-a`, cpus: 1, memoryMiB: 64, firmware: "bios", disks: [{ path: disk, format: "qcow2", bus: "virtio" }], nics: [] });
    });
    assert.deepEqual(defining, ["list", "define", "dumpxml"], "createVM: one listing for name and UUID, define, one read back");
    assert.equal(defined?.state, "shutoff");
    let vms: TargetVM[] = [];
    const calls = await spawnsOf(async () => {
      vms = await target.listVMs();
    });
    const mine = vms.find((v) => v.uuid === defined?.uuid);
    assert.equal(mine?.state, "shutoff");
    assert.equal(calls.filter((c) => c === "list").length, 4);
    // Every definition from one virsh process per DUMPXML_BATCH domains (others' domains on this shared libvirtd
    // may come and go meanwhile).
    assert.equal(calls.filter((c) => c === "dumpxml").length, Math.ceil(vms.length / DUMPXML_BATCH) || 0, `dumpxml processes for ${vms.length} domains: ${calls.join(" ")}`);
    // Only a domain in another state (shutting down, crashed) or one that changed state mid-listing is asked alone.
    assert.ok(calls.filter((c) => c === "domstate").length <= 2, `domstate per domain: ${calls.join(" ")}`);
  });

  it("createVM still refuses a defined name and a defined UUID, leaving that domain as it was", async () => {
    const disk = join(env.poolPath, "spawns.qcow2");
    const [first] = (await target.listVMs()).filter((v) => v.name === `${env.prefix}-a`);
    assert.ok(first);
    const again = { cpus: 2, memoryMiB: 128, firmware: "bios" as const, disks: [{ path: disk, format: "qcow2", bus: "virtio" as const }], nics: [] };
    await assert.rejects(target.createVM({ name: first.name, ...again }), (err: Error & { code?: string }) => err.code === "AlreadyExists" && /already exists/.test(err.message));
    await assert.rejects(target.createVM({ name: `${env.prefix}-b`, uuid: first.uuid.toUpperCase(), ...again }), (err: Error & { code?: string }) => err.code === "AlreadyExists" && /uuid/.test(err.message));
    const after = await target.getVM({ uuid: first.uuid });
    assert.equal(after?.cpus, 1);
    assert.equal(after?.name, first.name);
    assert.equal(await target.getVM({ name: `${env.prefix}-b` }), undefined);
  });

  it("a domain that vanishes before its definition is read is left out of the listing, not an error", async () => {
    const [mine] = (await target.listVMs()).filter((v) => v.name === `${env.prefix}-a`);
    assert.ok(mine);
    const virsh = new Virsh(TEST_URI, new ToolRunner());
    const gone = "00000000-0000-4000-8000-00000000dead";
    const documents = await virsh.dumpXMLs([gone, mine.uuid]);
    assert.deepEqual([...documents.keys()], [mine.uuid.toLowerCase()]);
    assert.match(documents.get(mine.uuid.toLowerCase()) ?? "", new RegExp(`<name>${env.prefix}-a</name>`));
    await assert.rejects(virsh.dumpXMLs(["mine; destroy x"]), /not a domain UUID/, "only UUIDs reach virsh's command line");
  });

  it("a listing of many domains is one dumpxml process per batch, so a migration's call beside it never waits long", async () => {
    const disk = join(env.poolPath, "spawns.qcow2");
    for (let i = 0; i < 8; i++) {
      await target.createVM({ name: `${env.prefix}-many-${i}`, cpus: 1, memoryMiB: 64, firmware: "bios", disks: [{ path: disk, format: "qcow2", bus: "virtio" }], nics: [] });
    }
    let vms: TargetVM[] = [];
    const calls = await spawnsOf(async () => {
      vms = await target.listVMs();
    });
    assert.ok(vms.filter((v) => v.name.startsWith(`${env.prefix}-many-`)).length === 8, "every new domain is listed");
    assert.ok(calls.length <= 4 + Math.ceil(vms.length / DUMPXML_BATCH) + 2, `processes for ${vms.length} domains: ${calls.join(" ")}`);
  });
});
