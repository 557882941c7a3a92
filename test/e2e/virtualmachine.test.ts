// VirtualMachines end to end: a real `bin/landfall serve`, real libvirtd (qemu:///system) and QEMU guests that
// boot a 512-byte boot sector printing a marker on the serial console. Resources live in a namespace equal to
// the temp prefix, so domains are `<prefix>--<name>` and the harness's cleanup-by-prefix removes them.
import assert from "node:assert/strict";
import { execFile, } from "node:child_process";
import { lstat, mkdir, mkdtemp, rm, stat, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type { VirtualMachine } from "../../src/api/virtualmachine.ts";
import { type CliResult, landfall as cli } from "../harness/landfall.ts";
import { type ServeProcess, startServeProcess } from "../../src/compose/serve-process.ts";
import { DELETE_DISKS_ANNOTATION, SHUTDOWN_GRACE_ANNOTATION } from "../../src/controllers/virtualmachine/decide.ts";
import { waitForConsole, writeBootDisk } from "../harness/bootdisk.ts";
import { createTempLibvirt, guestBytesSha256, sha256File, type TempLibvirt, virsh } from "../harness/libvirt.ts";

const exec = promisify(execFile);
const DISK_BYTES = 8 << 20;
const BOOT_TIMEOUT_MS = 30_000;

let env: TempLibvirt;
let dataDir: string;
let srv: ServeProcess;
let ns: string;

type Run = CliResult;

function landfall(args: string[], stdin = ""): Promise<Run> {
  return cli(srv, args, { stdin, env: { LANDFALL_DATA_DIR: join(dataDir, "none") } });
}

async function api(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<{ status: number; body: Record<string, unknown> | undefined }> {
  const res = await fetch(`${srv.url}/apis/landfall.dev/v1beta1/namespaces/${ns}/${path}`, {
    method,
    headers: { authorization: `Bearer ${srv.adminToken}`, ...(body === undefined ? {} : { "content-type": contentType }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

async function getVM(name: string): Promise<VirtualMachine | undefined> {
  const res = await api("GET", `virtualmachines/${name}`);
  if (res.status === 404) return undefined;
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as unknown as VirtualMachine;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = BOOT_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await sleep(200);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `; last error: ${(last as Error).message}` : ""}; server output tail: ${srv.output().slice(-1500)}`);
}

const ready = (vm: VirtualMachine | undefined) => vm?.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";

/** Waits until the VM reports the phase with Ready True. */
function waitForPhase(name: string, phase: "Running" | "Stopped"): Promise<VirtualMachine> {
  return waitFor(`VirtualMachine ${name} ${phase} and Ready`, async () => {
    const vm = await getVM(name);
    return vm?.status?.phase === phase && ready(vm) ? vm : undefined;
  });
}

const domainName = (name: string) => `${ns}--${name}`;
const domstate = async (name: string) => (await virsh(["domstate", domainName(name)])).trim();
const domainNames = async () => (await virsh(["list", "--all", "--name"])).split("\n").map((s) => s.trim()).filter(Boolean);

async function qemuInfo(path: string): Promise<{ format: string; "virtual-size": number; "backing-filename"?: string; "full-backing-filename"?: string }> {
  const { stdout } = await exec("qemu-img", ["info", "-U", "--output=json", path], { timeout: 30_000 });
  return JSON.parse(stdout);
}

const vmManifest = (name: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}) =>
  JSON.stringify({
    apiVersion: "landfall.dev/v1beta1",
    kind: "VirtualMachine",
    metadata: { name, namespace: ns, annotations },
    spec: { providerRef: { name: "kvm" }, memoryMiB: 64, ...spec },
  });

/** A bootable 8 MiB raw disk in the pool; returns its path and sha256. */
async function bootDiskInPool(file: string, marker: string): Promise<{ path: string; sha256: string }> {
  const path = join(env.poolPath, file);
  await writeBootDisk(path, { sizeBytes: DISK_BYTES, marker, fill: "random" });
  return { path, sha256: await sha256File(path) };
}

before(async () => {
  env = await createTempLibvirt("vm");
  ns = env.prefix;
  await mkdir(env.poolPath, { recursive: true });
  dataDir = await mkdtemp(join(tmpdir(), "landfall-vm-e2e-"));
  srv = await startServeProcess({ dataDir });
  const provider = {
    apiVersion: "landfall.dev/v1beta1",
    kind: "Provider",
    metadata: { name: "kvm", namespace: ns },
    spec: { type: "libvirt", uri: "qemu:///system", storagePool: env.pool, storagePoolPath: env.poolPath },
  };
  const applied = await landfall(["apply", "-f", "-"], JSON.stringify(provider));
  assert.equal(applied.code, 0, applied.stderr);
});

after(async () => {
  await srv?.stop();
  await env?.cleanup();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("VirtualMachine on real libvirt", { concurrency: false }, () => {
  let direct: { path: string; sha256: string };

  it("boots a VM from importedDisk and reports identity, checksum and import ID", async () => {
    direct = await bootDiskInPool("direct.raw", "LANDFALL-DIRECT-OK");
    const manifest = vmManifest("direct", { importedDisk: { diskID: "direct", path: direct.path, format: "raw" } }, { [SHUTDOWN_GRACE_ANNOTATION]: "1" });
    const applied = await landfall(["apply", "-f", "-"], manifest);
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal(applied.stdout.trim(), "virtualmachine/direct created");
    const vm = await waitForPhase("direct", "Running");
    assert.equal(vm.status?.providerID, (await virsh(["domuuid", domainName("direct")])).trim());
    assert.equal(vm.status?.diskInfo?.targetChecksum, `sha256:${direct.sha256}`);
    assert.equal(vm.status?.importID, "direct");
    assert.ok(vm.status?.consoleLog, "status.consoleLog is set");
    await waitForConsole(vm.status.consoleLog as string, "LANDFALL-DIRECT-OK", BOOT_TIMEOUT_MS);
    assert.equal(await domstate("direct"), "running");
  });

  it("boots a VM from imageRef as a qcow2 overlay and leaves the base image untouched", async () => {
    const base = await bootDiskInPool("base.raw", "LANDFALL-IMAGE-OK");
    const image = { apiVersion: "landfall.dev/v1beta1", kind: "VMImage", metadata: { name: "base", namespace: ns }, spec: { providerRef: { name: "kvm" }, path: base.path, format: "raw" } };
    const applied = await landfall(["apply", "-f", "-"], `${JSON.stringify(image)}\n---\n${vmManifest("fromimage", { imageRef: { name: "base" } })}`);
    assert.equal(applied.code, 0, applied.stderr);
    const vm = await waitForPhase("fromimage", "Running");
    await waitForConsole(vm.status?.consoleLog as string, "LANDFALL-IMAGE-OK", BOOT_TIMEOUT_MS);
    const overlay = vm.status?.disks?.[0]?.path as string;
    assert.ok(overlay?.startsWith(`${env.poolPath}/`), `overlay ${overlay} lies in the pool`);
    assert.notEqual(overlay, base.path);
    const info = await qemuInfo(overlay);
    assert.equal(info.format, "qcow2");
    assert.equal(info["full-backing-filename"] ?? info["backing-filename"], base.path);
    assert.equal(await sha256File(base.path), base.sha256, "base image bytes unchanged");
  });

  it("rejects importedDisk paths outside the pool at the API, storing and defining nothing", async () => {
    await symlink("/etc/passwd", join(env.poolPath, "escape.raw"));
    await symlink(join(env.scratchDir, "not-yet.raw"), join(env.poolPath, "dangling.raw"));
    const outside = ["/etc/passwd", `${env.poolPath}/../../x`, join(env.poolPath, "escape.raw"), join(env.poolPath, "dangling.raw")];
    for (const [i, path] of outside.entries()) {
      const name = `bad${i}`;
      const spec = { importedDisk: { diskID: name, path, format: "raw" } };
      if (i === 0) {
        // Through the CLI once (each spawn costs a Node start); the HTTP API for every path.
        const applied = await landfall(["apply", "-f", "-"], vmManifest(name, spec));
        assert.notEqual(applied.code, 0, `apply of ${path} must fail`);
        assert.match(applied.stderr, /spec\.importedDisk\.path/, applied.stderr);
        assert.ok(applied.stderr.includes(`"${env.pool}"`), `error names the pool: ${applied.stderr}`);
      }
      const posted = await api("POST", "virtualmachines", JSON.parse(vmManifest(name, spec)));
      assert.equal(posted.status, 422, JSON.stringify(posted.body));
      assert.match(JSON.stringify(posted.body), /spec\.importedDisk\.path.*outside storage pool/);
      assert.ok(JSON.stringify(posted.body).includes(env.pool), "the 422 names the pool");
      assert.equal(await getVM(name), undefined, `${name} must not be stored`);
      assert.ok(!(await domainNames()).includes(domainName(name)));
    }
    assert.ok(await lstat("/etc/passwd"), "nothing touched /etc/passwd");
  });

  it("accepts a path under the Provider's spec.allowedStoragePaths", async () => {
    const allowedDir = join(env.scratchDir, "allowed");
    await mkdir(allowedDir);
    const disk = join(allowedDir, "ext.raw");
    await writeBootDisk(disk, { sizeBytes: DISK_BYTES, marker: "LANDFALL-EXT" });
    const provider = {
      apiVersion: "landfall.dev/v1beta1",
      kind: "Provider",
      metadata: { name: "kvm", namespace: ns },
      spec: { type: "libvirt", uri: "qemu:///system", storagePool: env.pool, storagePoolPath: env.poolPath, allowedStoragePaths: [allowedDir] },
    };
    assert.equal((await landfall(["apply", "-f", "-"], JSON.stringify(provider))).code, 0);
    const applied = await landfall(["apply", "-f", "-"], vmManifest("external", { importedDisk: { diskID: "ext", path: disk, format: "raw" }, powerState: "Off" }));
    assert.equal(applied.code, 0, applied.stderr);
    // The controller agrees with admission: it defines the domain on that disk (powered off: no boot needed).
    const vm = await waitForPhase("external", "Stopped");
    assert.equal(vm.status?.disks?.[0]?.path, disk);
    assert.equal(await domstate("external"), "shut off");

    // Moving the VM to a Provider that does not allow that directory re-judges the unchanged path.
    const other = { ...provider, metadata: { name: "kvm-other", namespace: ns }, spec: { ...provider.spec, allowedStoragePaths: [] } };
    assert.equal((await landfall(["apply", "-f", "-"], JSON.stringify(other))).code, 0);
    const moved = await api("PATCH", "virtualmachines/external", { spec: { providerRef: { name: "kvm-other" } } }, "application/merge-patch+json");
    assert.equal(moved.status, 422, JSON.stringify(moved.body));
    assert.match(JSON.stringify(moved.body), /spec\.importedDisk\.path.*outside storage pool/);
    assert.equal((await getVM("external"))?.spec.providerRef.name, "kvm");
  });

  it("grows a disk to sizeGiB before the domain is defined", async () => {
    const small = await bootDiskInPool("grown.raw", "LANDFALL-GROWN");
    const applied = await landfall(["apply", "-f", "-"], vmManifest("grown", { importedDisk: { diskID: "grown", path: small.path, format: "raw", sizeGiB: 1 }, powerState: "Off" }));
    assert.equal(applied.code, 0, applied.stderr);
    const vm = await waitForPhase("grown", "Stopped");
    assert.equal((await qemuInfo(small.path))["virtual-size"], 2 ** 30);
    assert.equal(vm.status?.diskInfo?.targetChecksum, `sha256:${small.sha256}`, "checksum of the disk as placed, before growing");
  });

  it("survives kill -9 of the server mid-reconcile: one domain, converged to Running", async (t) => {
    const disk = await bootDiskInPool("restart.raw", "LANDFALL-RESTART-OK");
    const posted = await api("POST", "virtualmachines", JSON.parse(vmManifest("restart", { importedDisk: { diskID: "restart", path: disk.path, format: "raw" } })));
    assert.equal(posted.status, 201, JSON.stringify(posted.body));
    // Kill once the controller has recorded the disk's checksum: its next steps are define and start.
    const deadline = Date.now() + 20_000;
    while (!(await getVM("restart"))?.status?.diskInfo?.targetChecksum) {
      assert.ok(Date.now() < deadline, `no checksum recorded within 20 s; server output: ${srv.output().slice(-1500)}`);
      await sleep(10);
    }
    srv.child.kill("SIGKILL");
    await new Promise((resolve) => (srv.child.exitCode !== null || srv.child.signalCode !== null ? resolve(undefined) : srv.child.once("exit", resolve)));
    const definedAtKill = (await domainNames()).includes(domainName("restart"));
    t.diagnostic(`at kill -9 the domain was ${definedAtKill ? `defined (${await domstate("restart")})` : "not defined yet"}`);
    srv = await startServeProcess({ dataDir });
    const vm = await waitForPhase("restart", "Running");
    const named = (await domainNames()).filter((n) => n === domainName("restart"));
    assert.equal(named.length, 1, "exactly one domain with that name");
    assert.equal(vm.status?.providerID, (await virsh(["domuuid", domainName("restart")])).trim());
    assert.equal(vm.status?.diskInfo?.targetChecksum, `sha256:${disk.sha256}`);
    await waitForConsole(vm.status?.consoleLog as string, "LANDFALL-RESTART-OK", BOOT_TIMEOUT_MS);
  });

  it("powerState Off shuts down (ACPI, then hard off after the grace) and On starts again", async () => {
    const patched = await api("PATCH", "virtualmachines/direct", { spec: { powerState: "Off" } }, "application/merge-patch+json");
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    // The boot-sector guest ignores ACPI; the 1 s grace annotation makes the hard power-off come quickly.
    await waitForPhase("direct", "Stopped");
    assert.equal(await domstate("direct"), "shut off");
    const events = await api("GET", "virtualmachines/direct/events");
    const reasons = ((events.body?.items ?? []) as Array<{ reason: string }>).map((e) => e.reason);
    assert.ok(reasons.includes("PowerShutdown") && reasons.includes("PowerStop"), `ACPI shutdown, then hard stop: ${reasons.join(", ")}`);
    const started = await landfall(["start", "vm", "direct", "-n", ns]);
    assert.equal(started.code, 0, started.stderr);
    const vm = await waitForPhase("direct", "Running");
    assert.equal(await domstate("direct"), "running");
    assert.ok(!vm.status?.conditions?.some((c) => c.type === "ShutdownRequested"), "ShutdownRequested cleared once running");
  });

  it("clones a stopped VM into copies of its disks that boot", async () => {
    const stopped = await landfall(["stop", "vm", "direct", "-n", ns]);
    assert.equal(stopped.code, 0, stopped.stderr);
    const source = await waitForPhase("direct", "Stopped");
    const res = await api("POST", "virtualmachines/direct/clone", { name: "copy", powerOn: true });
    assert.equal(res.status < 300, true, JSON.stringify(res.body));
    const clone = res.body as unknown as VirtualMachine;
    assert.equal(clone.spec.importedDisk?.source, "clone");
    const copyPath = clone.spec.importedDisk?.path as string;
    const sourcePath = source.status?.disks?.[0]?.path as string;
    assert.notEqual(copyPath, sourcePath);
    assert.ok(copyPath.startsWith(`${env.poolPath}/`), copyPath);
    assert.equal(await guestBytesSha256(copyPath, "raw"), direct.sha256);
    const vm = await waitForPhase("copy", "Running");
    await waitForConsole(vm.status?.consoleLog as string, "LANDFALL-DIRECT-OK", BOOT_TIMEOUT_MS);
    assert.notEqual(vm.status?.providerID, source.status?.providerID);
  });

  it("CPU/memory changes apply to a stopped domain's definition, and a running one reports RestartRequired", async () => {
    const inactive = async () => virsh(["dumpxml", "--inactive", domainName("direct")]);
    const patch = (spec: Record<string, unknown>) => api("PATCH", "virtualmachines/direct", { spec }, "application/merge-patch+json");
    assert.equal(await domstate("direct"), "shut off");
    const before = (await getVM("direct")) as VirtualMachine;
    assert.equal((await patch({ cpus: 2, memoryMiB: 96 })).status, 200);
    await waitFor("2 vCPUs and 96 MiB in the definition", async () => {
      const xml = await inactive();
      return />2<\/vcpu>/.test(xml) && /<memory unit='KiB'>98304<\/memory>/.test(xml);
    });
    assert.equal((await patch({ cpus: 1, memoryMiB: 64 })).status, 200);
    await waitFor("back to 1 vCPU and 64 MiB", async () => {
      const xml = await inactive();
      return />1<\/vcpu>/.test(xml) && /<memory unit='KiB'>65536<\/memory>/.test(xml);
    });
    assert.equal((await virsh(["domuuid", domainName("direct")])).trim(), before.status?.providerID, "same domain");

    assert.equal((await landfall(["start", "vm", "direct", "-n", ns])).code, 0);
    await waitForPhase("direct", "Running");
    assert.equal((await patch({ memoryMiB: 80 })).status, 200);
    const vm = await waitFor("RestartRequired", async () => {
      const v = await getVM("direct");
      return v?.status?.conditions?.some((c) => c.type === "RestartRequired" && c.status === "True") ? v : undefined;
    });
    assert.match(vm.status?.conditions?.find((c) => c.type === "RestartRequired")?.message ?? "", /80 MiB/);
    assert.equal(await domstate("direct"), "running", "a running domain is never restarted behind the user's back");
  });

  it("delete removes the domain and keeps the disk; --cascade=orphan leaves the domain running", async () => {
    const fromimage = (await getVM("fromimage")) as VirtualMachine;
    const overlay = fromimage.status?.disks?.[0]?.path as string;
    // A refused delete changes nothing: with deleteDisks and a stale resourceVersion it is 409 before the
    // disks are marked, so the plain delete below still keeps them.
    const rv = fromimage.metadata.resourceVersion as string;
    const refused = await api("DELETE", `virtualmachines/fromimage?deleteDisks=true&resourceVersion=${Number(rv) - 1}`);
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    const unchanged = (await getVM("fromimage")) as VirtualMachine;
    assert.equal(unchanged.metadata.annotations?.[DELETE_DISKS_ANNOTATION], undefined);
    const deleted = await landfall(["delete", "vm", "fromimage", "-n", ns]);
    assert.equal(deleted.code, 0, deleted.stderr);
    await waitFor("fromimage gone", async () => (await getVM("fromimage")) === undefined);
    assert.ok(!(await domainNames()).includes(domainName("fromimage")), "domain undefined");
    assert.ok((await stat(overlay)).isFile(), "disk kept");

    const copy = (await getVM("copy")) as VirtualMachine;
    const orphaned = await landfall(["delete", "vm", "copy", "-n", ns, "--cascade=orphan"]);
    assert.equal(orphaned.code, 0, orphaned.stderr);
    await waitFor("copy forgotten", async () => (await getVM("copy")) === undefined);
    assert.equal(await domstate("copy"), "running");
    assert.equal((await virsh(["domuuid", domainName("copy")])).trim(), copy.status?.providerID);
  });
});
