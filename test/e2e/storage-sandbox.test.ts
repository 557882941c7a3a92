// No way out of the storage sandbox, through the API of a real `bin/landfall serve` with real libvirtd and
// qemu-img: libvirt URIs that run programs are refused; images whose backing chain leaves the pool are refused
// at admission (422 naming the field and the file), at reconcile (Failed naming the file, nothing read or
// defined) and at adoption (naming the file), before anything reads their data.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type { VirtualMachine } from "../../src/api/virtualmachine.ts";
import { type ServeProcess, startServeProcess } from "../../src/compose/serve-process.ts";
import { createTempLibvirt, type TempLibvirt, virsh } from "../harness/libvirt.ts";

const exec = promisify(execFile);
const qemuImg = (...args: string[]) => exec("qemu-img", args, { timeout: 30_000 });

let env: TempLibvirt;
let dataDir: string;
let srv: ServeProcess;
let ns: string;
/** Beside the pool, inside the prefix's cleanup root: a directory the Provider does not allow. */
let outsideDir: string;

interface Status {
  code?: number;
  reason?: string;
  message?: string;
  details?: { causes?: Array<{ field?: string; message?: string }> };
}

async function api(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${srv.url}/apis/landfall.dev/v1beta1/namespaces/${ns}/${path}`, {
    method,
    headers: { authorization: `Bearer ${srv.adminToken}`, ...(body === undefined ? {} : { "content-type": contentType }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

function assertInvalid(res: { status: number; body: Record<string, unknown> }, field: string, names: string): void {
  assert.equal(res.status, 422, JSON.stringify(res.body));
  const status = res.body as Status;
  assert.equal(status.reason, "Invalid");
  const cause = status.details?.causes?.find((c) => c.field === field);
  assert.ok(cause, `a cause names ${field}: ${JSON.stringify(status.details)}`);
  assert.ok(cause.message?.includes(names), `the cause names ${names}: ${cause.message}`);
}

const provider = (name: string, uri: string) => ({
  apiVersion: "landfall.dev/v1beta1",
  kind: "Provider",
  metadata: { name, namespace: ns },
  spec: { type: "libvirt", uri, storagePool: env.pool, storagePoolPath: env.poolPath },
});

async function waitForPhase(name: string, phase: string): Promise<VirtualMachine> {
  const deadline = Date.now() + 30_000;
  let last: VirtualMachine | undefined;
  while (Date.now() < deadline) {
    last = (await api("GET", `virtualmachines/${name}`)).body as unknown as VirtualMachine;
    if (last.status?.phase === phase) return last;
    await sleep(200);
  }
  assert.fail(`VirtualMachine ${name} never reached ${phase}: ${JSON.stringify(last?.status)}`);
}

const vm = (name: string, path: string, format = "qcow2") => ({
  apiVersion: "landfall.dev/v1beta1",
  kind: "VirtualMachine",
  metadata: { name, namespace: ns },
  spec: { providerRef: { name: "kvm" }, memoryMiB: 64, powerState: "Off", importedDisk: { diskID: name, path, format } },
});

before(async () => {
  env = await createTempLibvirt("sandbox");
  ns = env.prefix;
  await mkdir(env.poolPath, { recursive: true });
  outsideDir = join(dirname(env.poolPath), "elsewhere");
  await mkdir(outsideDir, { recursive: true });
  await qemuImg("create", "-q", "-f", "raw", join(outsideDir, "base.raw"), "1M");
  dataDir = await mkdtemp(join(tmpdir(), "landfall-sandbox-e2e-"));
  srv = await startServeProcess({ dataDir });
  const created = await api("POST", "providers", provider("kvm", "qemu:///system"));
  assert.equal(created.status, 201, JSON.stringify(created.body));
});

after(async () => {
  await srv?.stop();
  await env?.cleanup();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("storage sandbox through the API", { concurrency: false }, () => {
  it("refuses libvirt URIs that run a program or reach another socket with 422 naming spec.uri; nothing is written", async () => {
    for (const [i, uri] of ["qemu+ext:///system?command=/usr/bin/touch", "qemu+ssh://h/system?command=/tmp/x", "qemu+ssh://h/system?socket=/tmp/evil.sock"].entries()) {
      const res = await api("POST", "providers", provider(`evil${i}`, uri));
      assertInvalid(res, "spec.uri", "allowed: qemu:///system");
      assert.equal((await api("GET", `providers/evil${i}`)).status, 404);
    }
    const patched = await api("PATCH", "providers/kvm", { spec: { uri: "qemu+ext:///system?command=/usr/bin/id" } }, "application/merge-patch+json");
    assertInvalid(patched, "spec.uri", "qemu+ext");
  });

  it("refuses a VirtualMachine whose qcow2 in the pool has /etc/shadow as backing file, naming the field and the file", async () => {
    const path = join(env.poolPath, "shadow.qcow2");
    await qemuImg("create", "-q", "-f", "qcow2", "-u", "-b", "/etc/shadow", "-F", "raw", path, "1M");
    assertInvalid(await api("POST", "virtualmachines", vm("shadow", path)), "spec.importedDisk.path", '"/etc/shadow" is outside');
    assert.equal((await api("GET", "virtualmachines/shadow")).status, 404);
  });

  it("refuses a backing file that is a symlink in the pool pointing outside, naming where it leads", async () => {
    await symlink(join(outsideDir, "base.raw"), join(env.poolPath, "innocent.raw"));
    const path = join(env.poolPath, "via-link.qcow2");
    await qemuImg("create", "-q", "-f", "qcow2", "-u", "-b", "innocent.raw", "-F", "raw", path, "1M");
    assertInvalid(await api("POST", "virtualmachines", vm("via-link", path)), "spec.importedDisk.path", join(outsideDir, "base.raw"));
  });

  it("refuses a VMImage whose two-level chain leaves the pool at the second level, naming that file", async () => {
    const mid = join(env.poolPath, "mid.qcow2");
    const top = join(env.poolPath, "top.qcow2");
    await qemuImg("create", "-q", "-f", "qcow2", "-u", "-b", join(outsideDir, "base.raw"), "-F", "raw", mid, "1M");
    await qemuImg("create", "-q", "-f", "qcow2", "-u", "-b", mid, "-F", "qcow2", top, "1M");
    const image = { apiVersion: "landfall.dev/v1beta1", kind: "VMImage", metadata: { name: "base", namespace: ns }, spec: { providerRef: { name: "kvm" }, path: top, format: "qcow2" } };
    assertInvalid(await api("POST", "vmimages", image), "spec.path", join(outsideDir, "base.raw"));
  });

  it("fails a VirtualMachine whose disk changed after admission, naming the file, before reading or defining anything", async () => {
    const path = join(env.poolPath, "later.qcow2");
    const created = await api("POST", "virtualmachines", vm("later", path));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    // Admitted while missing; now the file appears with a backing file outside, and the VM is touched. It appears
    // whole (made beside it, then renamed): a reconcile that caught qemu-img mid-write saw a qcow2 without its backing
    // yet, hashed it, and left that hash in status.
    await qemuImg("create", "-q", "-f", "qcow2", "-u", "-b", join(outsideDir, "base.raw"), "-F", "raw", `${path}.part`, "1M");
    await rename(`${path}.part`, path);
    const touched = await api("PATCH", "virtualmachines/later", { metadata: { labels: { touched: "yes" } } }, "application/merge-patch+json");
    assert.equal(touched.status, 200, JSON.stringify(touched.body));
    const last = await waitForPhase("later", "Failed");
    const ready = last?.status?.conditions?.find((c) => c.type === "Ready");
    assert.equal(ready?.reason, "InvalidDisk");
    assert.ok(ready?.message?.includes(join(outsideDir, "base.raw")), ready?.message);
    assert.equal(last?.status?.diskInfo?.targetChecksum, undefined, "the image was never hashed");
    const domains = (await virsh(["list", "--all", "--name"])).split("\n").map((s) => s.trim());
    assert.ok(!domains.includes(`${ns}--later`), "no domain was defined");
  });

  it("refuses to adopt a foreign domain whose disk's backing file lies outside, naming it", async () => {
    const disk = join(env.poolPath, "foreign.qcow2");
    await qemuImg("create", "-q", "-f", "qcow2", "-u", "-b", join(outsideDir, "base.raw"), "-F", "raw", disk, "1M");
    const name = `${ns}--foreign`;
    const xml = `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk></devices>
</domain>`;
    const xmlPath = join(env.scratchDir, "foreign.xml");
    await writeFile(xmlPath, xml);
    await virsh(["define", xmlPath]);
    const res = await api("POST", "providers/kvm/adopt", { vm: name });
    assert.equal(res.status, 403, JSON.stringify(res.body));
    const message = (res.body as Status).message ?? "";
    assert.match(message, /was not adopted/);
    assert.ok(message.includes(join(outsideDir, "base.raw")), message);
    assert.equal((await api("GET", "virtualmachines/foreign")).status, 404, "no mirror VirtualMachine");
  });

  it("refuses to clone a VM whose disk was swapped for one whose chain leaves the pool, naming the file; nothing is copied", async () => {
    await qemuImg("create", "-q", "-f", "raw", join(env.poolPath, "clone-base.raw"), "1M");
    const path = join(env.poolPath, "clone-src.qcow2");
    await qemuImg("create", "-q", "-f", "qcow2", "-b", "clone-base.raw", "-F", "raw", path);
    const created = await api("POST", "virtualmachines", vm("clonesrc", path));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await waitForPhase("clonesrc", "Stopped");
    await qemuImg("create", "-q", "-f", "qcow2", "-u", "-b", join(outsideDir, "base.raw"), "-F", "raw", path, "1M");
    const res = await api("POST", "virtualmachines/clonesrc/clone", { name: "clonecopy" });
    assert.equal(res.status, 403, JSON.stringify(res.body));
    assert.ok(((res.body as Status).message ?? "").includes(join(outsideDir, "base.raw")), JSON.stringify(res.body));
    assert.equal((await api("GET", "virtualmachines/clonecopy")).status, 404);
    const copies = (await virsh(["vol-list", env.pool])).split("\n").filter((l) => l.includes("clonecopy"));
    assert.deepEqual(copies, [], "no disk was copied");
  });

  it("fails a VM built from a VMImage when its overlay is swapped for one whose backing leaves the pool", async () => {
    const base = join(env.poolPath, "image-base.qcow2");
    await qemuImg("create", "-q", "-f", "qcow2", base, "1M");
    const image = { apiVersion: "landfall.dev/v1beta1", kind: "VMImage", metadata: { name: "good", namespace: ns }, spec: { providerRef: { name: "kvm" }, path: base, format: "qcow2" } };
    assert.equal((await api("POST", "vmimages", image)).status, 201);
    const fromImage = { ...vm("fromimage", ""), spec: { providerRef: { name: "kvm" }, memoryMiB: 64, powerState: "Off", imageRef: { name: "good" } } };
    const created = await api("POST", "virtualmachines", fromImage);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const stopped = await waitForPhase("fromimage", "Stopped");
    const overlay = stopped.status?.disks?.[0]?.path as string;
    assert.ok(overlay?.startsWith(env.poolPath), overlay);
    await qemuImg("create", "-q", "-f", "qcow2", "-u", "-b", join(outsideDir, "base.raw"), "-F", "raw", overlay, "1M");
    await api("PATCH", "virtualmachines/fromimage", { metadata: { labels: { touched: "yes" } } }, "application/merge-patch+json");
    const failed = await waitForPhase("fromimage", "Failed");
    assert.ok(failed.status?.message?.includes(join(outsideDir, "base.raw")), failed.status?.message);
  });
});
