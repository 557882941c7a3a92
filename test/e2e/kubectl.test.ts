// The real kubectl (1.32) against a real `bin/landfall serve`, through nothing but the kubeconfig the server
// wrote: TLS with the local CA, discovery and short names, client-side apply validated by the server,
// server-side apply with a conflict and --force-conflicts, Table printer columns (also -o wide), explain,
// --dry-run=server, patch, wait --for=jsonpath, get -w, delete, Secrets without the last-applied copy, and a restart of a
// running libvirt domain asked for by kubectl as a resource change.
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { type ServeProcess, startServeProcess } from "../../src/compose/serve-process.ts";
import { RESTART_ANNOTATION, SHUTDOWN_GRACE_ANNOTATION } from "../../src/controllers/virtualmachine/decide.ts";
import { writeBootDisk } from "../harness/bootdisk.ts";
import { createTempLibvirt, type TempLibvirt, virsh } from "../harness/libvirt.ts";

let env: TempLibvirt;
let srv: ServeProcess;
let ns: string;
let kubeconfig: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** kubectl ARGS with only the generated kubeconfig (no other config, no cache shared with other runs). */
function kubectl(args: string[], stdin = ""): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "kubectl",
      args,
      { env: { PATH: process.env.PATH ?? "", HOME: join(srv.dataDir, "home"), KUBECONFIG: kubeconfig }, timeout: 90_000 },
      (err, stdout, stderr) => {
        if (err && typeof (err as { code?: unknown }).code !== "number") return reject(err);
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(stdin);
  });
}

async function ok(args: string[], stdin = ""): Promise<string> {
  const r = await kubectl(args, stdin);
  assert.equal(r.code, 0, `kubectl ${args.join(" ")} failed: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** How many reboots the VirtualMachine controller recorded for `name` (its events, as `landfall describe` shows). */
async function reboots(name: string): Promise<number> {
  const res = await fetch(`${srv.url}/apis/landfall.dev/v1beta1/namespaces/${ns}/virtualmachines/${name}/events`, { headers: { authorization: `Bearer ${srv.adminToken}` } });
  const items = ((await res.json()) as { items: Array<{ reason: string; count: number }> }).items;
  return items.filter((e) => e.reason === "PowerReboot").reduce((n, e) => n + e.count, 0);
}

const manifest = (name: string, spec: Record<string, unknown>, annotations?: Record<string, string>) =>
  JSON.stringify({ apiVersion: "landfall.dev/v1beta1", kind: "VirtualMachine", metadata: { name, namespace: ns, ...(annotations ? { annotations } : {}) }, spec });

before(async () => {
  env = await createTempLibvirt("kubectl");
  ns = env.prefix;
  await mkdir(env.poolPath, { recursive: true });
  srv = await startServeProcess();
  kubeconfig = join(srv.dataDir, "kubeconfig");
  await mkdir(join(srv.dataDir, "home"), { recursive: true });
  await ok(["apply", "-f", "-"], JSON.stringify({
    apiVersion: "landfall.dev/v1beta1",
    kind: "Provider",
    metadata: { name: "kvm", namespace: ns },
    spec: { type: "libvirt", uri: "qemu:///system", storagePool: env.pool, storagePoolPath: env.poolPath },
  }));
});

after(async () => {
  await srv?.stop();
  await env?.cleanup();
});

describe("kubectl against landfall serve", { concurrency: false }, () => {
  it("finds the TLS endpoint, the CA and the admin token in <data-dir>/kubeconfig (0600)", async () => {
    assert.equal((await stat(kubeconfig)).mode & 0o777, 0o600);
    const config = parse(await readFile(kubeconfig, "utf8")) as { clusters: Array<{ cluster: { server: string; "certificate-authority-data": string } }> };
    const server = config.clusters[0].cluster.server;
    assert.match(server, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(server.replace("https", "http"), srv.url, "a second listener, not --listen");
    assert.match(Buffer.from(config.clusters[0].cluster["certificate-authority-data"], "base64").toString(), /BEGIN CERTIFICATE/);
    // The CA is checked: kubectl refuses the endpoint when told to trust nothing but the system store.
    const untrusted = await kubectl(["get", "lfvm", "-A", "--certificate-authority=/etc/ssl/certs/ca-certificates.crt"]);
    assert.notEqual(untrusted.code, 0);
    assert.match(untrusted.stderr, /certificate/);
  });

  it("resolves the CRDs' short names and the landfall category; vm stays an alias", async () => {
    const resources = await ok(["api-resources", "--api-group=landfall.dev", "--no-headers"]);
    assert.match(resources, /^virtualmachines\s+lfvm,vm,vms\s/m);
    assert.match(resources, /^vmmigrations\s+lfvmm,vmm\s/m);
    assert.match(await ok(["get", "landfall", "-n", ns]), /provider\.landfall\.dev\/kvm/);
  });

  it("validates a client-side apply (an unknown field is refused, naming it) and applies a valid manifest", async () => {
    const bad = await kubectl(["apply", "-f", "-"], manifest("web1", { providerRef: { name: "kvm" }, importedDisk: { diskID: "d1", bogus: 1 } }));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /spec\.importedDisk\.bogus/);
    assert.doesNotMatch(bad.stderr, /failed to download openapi/);
    assert.match(await ok(["apply", "-f", "-"], manifest("web1", { providerRef: { name: "kvm" }, importedDisk: { diskID: "d1", source: "manual" }, cpus: 2, powerState: "Off" })), /virtualmachine\.landfall\.dev\/web1 created/);
  });

  it("--dry-run=server: creates, changes and deletes are judged by the server and change nothing", async () => {
    const created = await ok(["apply", "--dry-run=server", "-f", "-"], manifest("planned", { providerRef: { name: "kvm" }, importedDisk: { diskID: "p1", source: "manual" }, powerState: "Off" }));
    assert.match(created, /virtualmachine\.landfall\.dev\/planned created \(server dry run\)/);
    const missing = await kubectl(["get", "lfvm", "planned", "-n", ns]);
    assert.notEqual(missing.code, 0, "a dry-run create stores nothing");
    assert.match(missing.stderr, /NotFound/);
    // The server validates a dry run as it would the write: an unknown field is refused.
    const bad = await kubectl(["apply", "--dry-run=server", "-f", "-"], manifest("planned", { providerRef: { name: "kvm" }, importedDisk: { diskID: "p1", bogus: 1 } }));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /spec\.importedDisk\.bogus/);
    const changed = await ok(["apply", "--dry-run=server", "-o", "jsonpath={.spec.cpus}", "-f", "-"], manifest("web1", { providerRef: { name: "kvm" }, importedDisk: { diskID: "d1", source: "manual" }, cpus: 5, powerState: "Off" }));
    assert.equal(changed, "5", "the answer is the object that would be stored");
    assert.equal(await ok(["get", "lfvm", "web1", "-n", ns, "-o", "jsonpath={.spec.cpus}"]), "2");
    assert.match(await ok(["delete", "lfvm", "web1", "-n", ns, "--dry-run=server"]), /deleted \(server dry run\)/);
    assert.equal(await ok(["get", "lfvm", "web1", "-n", ns, "-o", "jsonpath={.metadata.deletionTimestamp}"]), "");
  });

  it("prints the CRDs' printer columns (Table), more with -o wide", async () => {
    const table = await ok(["get", "lfvm", "web1", "-n", ns]);
    assert.match(table, /^NAME\s+PHASE\s+PROVIDER\s+SOURCE\s+IMAGE\s+AGE\s*$/m);
    assert.match(table, /^web1\s+\S*\s*kvm\s+manual\s+/m);
    assert.match(await ok(["get", "lfvm", "-n", ns, "-o", "wide"]), /^NAME\s+PHASE\s+PROVIDER\s+SOURCE\s+IMAGE\s+AGE\s+PROVIDERID\s*$/m);
    assert.match(await ok(["get", "lfvm", "-A"]), /^NAMESPACE\s+NAME\s+PHASE/m);
  });

  it("explains fields from the OpenAPI schema", async () => {
    const text = await ok(["explain", "lfvm.spec.importedDisk"]);
    assert.match(text, /KIND:\s+VirtualMachine/);
    assert.match(text, /diskID\s+<string> -required-/);
    assert.match(text, /format\s+<string>/);
  });

  it("patches, then server-side applies: a conflict names field and manager; --force-conflicts takes it over", async () => {
    assert.match(await ok(["patch", "lfvm", "web1", "-n", ns, "--type=merge", "-p", '{"spec":{"cpus":3}}']), /patched/);
    assert.equal(await ok(["get", "lfvm", "web1", "-n", ns, "-o", "jsonpath={.spec.cpus}"]), "3");
    const intent = manifest("web1", { providerRef: { name: "kvm" }, importedDisk: { diskID: "d1", source: "manual" }, cpus: 4, powerState: "Off" });
    const conflict = await kubectl(["apply", "--server-side", "--field-manager=gitops", "-f", "-"], intent);
    assert.notEqual(conflict.code, 0);
    assert.match(conflict.stderr, /conflict with "kubectl-patch"/);
    assert.match(conflict.stderr, /\.spec\.cpus/);
    assert.equal(await ok(["get", "lfvm", "web1", "-n", ns, "-o", "jsonpath={.spec.cpus}"]), "3", "a refused apply changes nothing");
    assert.match(await ok(["apply", "--server-side", "--field-manager=gitops", "--force-conflicts", "-f", "-"], intent), /serverside-applied/);
    const vm = JSON.parse(await ok(["get", "lfvm", "web1", "-n", ns, "-o", "json", "--show-managed-fields"])) as { spec: { cpus: number }; metadata: { managedFields: Array<{ manager: string; operation: string; fieldsV1: { "f:spec"?: Record<string, unknown> } }> } };
    assert.equal(vm.spec.cpus, 4);
    const gitops = vm.metadata.managedFields.find((m) => m.manager === "gitops");
    assert.equal(gitops?.operation, "Apply");
    assert.ok(gitops?.fieldsV1["f:spec"]?.["f:cpus"], "gitops owns spec.cpus now");
    assert.ok(!vm.metadata.managedFields.some((m) => m.manager !== "gitops" && m.fieldsV1["f:spec"]?.["f:cpus"]), "and nobody else does");
    // Leaving a field out of the next apply removes it (nobody else owns it).
    await ok(["apply", "--server-side", "--field-manager=gitops", "-f", "-"], manifest("web1", { providerRef: { name: "kvm" }, importedDisk: { diskID: "d1", source: "manual" }, powerState: "Off" }));
    assert.equal(await ok(["get", "lfvm", "web1", "-n", ns, "-o", "jsonpath={.spec.cpus}"]), "");
  });

  it("streams a change to `get -w`", async () => {
    const watcher: ChildProcess = spawn("kubectl", ["get", "lfvm", "web1", "-n", ns, "-w", "--output-watch-events"], { env: { PATH: process.env.PATH ?? "", HOME: join(srv.dataDir, "home"), KUBECONFIG: kubeconfig } });
    let seen = "";
    watcher.stdout?.on("data", (d) => {
      seen += String(d);
    });
    try {
      // Whole lines: kubectl may flush a row in two writes ("MODIFIED" first, the rest a moment later).
      for (let i = 0; i < 100 && !/^ADDED\s+web1\s.*\n/m.test(seen); i++) await sleep(100);
      await ok(["label", "lfvm", "web1", "-n", ns, "team=blue"]);
      for (let i = 0; i < 100 && !/^MODIFIED.*\n/m.test(seen); i++) await sleep(100);
      assert.match(seen, /^MODIFIED\s+web1\s/m, seen);
    } finally {
      watcher.kill("SIGTERM");
    }
  });

  it("waits for a real domain to run, and restarts it through the restart-requested-at annotation", async () => {
    const disk = join(env.poolPath, "boot.raw");
    await writeBootDisk(disk, { sizeBytes: 1 << 20, marker: "LANDFALL-KUBECTL-OK" });
    await ok(["apply", "-f", "-"], manifest("boot", { providerRef: { name: "kvm" }, importedDisk: { diskID: "boot", path: disk, format: "raw" }, memoryMiB: 64 }, { [SHUTDOWN_GRACE_ANNOTATION]: "1" }));
    await ok(["wait", "lfvm/boot", "-n", ns, "--for=jsonpath={.status.phase}=Running", "--timeout=60s"]);
    const request = new Date().toISOString().replace(/[:.]/g, "-");
    await ok(["annotate", "lfvm", "boot", "-n", ns, `${RESTART_ANNOTATION}=${request}`, "--overwrite"]);
    await ok(["wait", "lfvm/boot", "-n", ns, `--for=jsonpath={.status.observedRestartRequest}=${request}`, "--timeout=60s"]);
    assert.equal(await reboots("boot"), 1, "the controller rebooted the domain once");
    assert.equal((await virsh(["domstate", `${ns}--boot`])).trim(), "running");
    // Once acted upon, the same value asks nothing again, whatever else changes.
    await ok(["label", "lfvm", "boot", "-n", ns, "touched=yes"]);
    await sleep(1500);
    assert.equal(await reboots("boot"), 1, "no second reboot for the same request");
  });

  it("drives inventory, adopt, unadopt and clone as VMAction resources (what operator mode has instead of routes)", async () => {
    const vmaction = (name: string, spec: Record<string, unknown>) => JSON.stringify({ apiVersion: "landfall.dev/v1beta1", kind: "VMAction", metadata: { name, namespace: ns }, spec });
    const succeeded = (name: string) => ok(["wait", `lfvma/${name}`, "-n", ns, "--for=jsonpath={.status.phase}=Succeeded", "--timeout=60s"]);
    // A domain made by hand, outside landfall: the kind of VM adoption brings under management.
    const disk = join(env.poolPath, "hand.raw");
    await writeBootDisk(disk, { sizeBytes: 1 << 20, marker: "HAND" });
    const xml = join(env.scratchDir, "hand.xml");
    await writeFile(xml, `<domain type='qemu'><name>${ns}-hand</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os><devices><disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk></devices></domain>`);
    await virsh(["define", xml]);
    const uuid = (await virsh(["domuuid", `${ns}-hand`])).trim();

    await ok(["apply", "-f", "-"], vmaction("list", { action: "inventory", providerRef: { name: "kvm" } }));
    await succeeded("list");
    const names = (await ok(["get", "lfvma", "list", "-n", ns, "-o", "jsonpath={.status.inventory[*].name}"])).split(" ");
    assert.ok(names.includes(`${ns}-hand`) && names.includes(`${ns}--boot`), names.join(" "));

    await ok(["apply", "-f", "-"], vmaction("adopt-hand", { action: "adopt", providerRef: { name: "kvm" }, vm: `${ns}-hand` }));
    await succeeded("adopt-hand");
    const adopted = await ok(["get", "lfvma", "adopt-hand", "-n", ns, "-o", "jsonpath={.status.virtualMachineRef.name}"]);
    assert.ok(adopted, await ok(["get", "lfvma", "adopt-hand", "-n", ns, "-o", "yaml"]));
    const mirror = JSON.parse(await ok(["get", "lfvm", adopted, "-n", ns, "-o", "json"])) as { metadata: { labels?: Record<string, string> }; spec: { importedDisk?: { path?: string } } };
    assert.equal(mirror.metadata.labels?.["landfall.dev/adopted"], "true");
    assert.equal(mirror.spec.importedDisk?.path, disk, "the mirror VirtualMachine uses the domain's disk");
    assert.match(await ok(["get", "lfvma", "-n", ns]), /^adopt-hand\s+adopt\s+Succeeded\s+/m);

    await ok(["apply", "-f", "-"], vmaction("release-hand", { action: "unadopt", virtualMachineRef: { name: adopted } }));
    await succeeded("release-hand");
    // The mirror goes with orphan semantics (its finalizer releases it, leaving the domain alone).
    await ok(["wait", `lfvm/${adopted}`, "-n", ns, "--for=delete", "--timeout=30s"]);
    assert.equal((await virsh(["domuuid", `${ns}-hand`])).trim(), uuid, "the domain is untouched");

    // Clone: of a stopped VM (the boot sector ignores ACPI, so the 1 s grace ends in a power-off).
    await ok(["patch", "lfvm", "boot", "-n", ns, "--type=merge", "-p", '{"spec":{"powerState":"Off"}}']);
    await ok(["wait", "lfvm/boot", "-n", ns, "--for=jsonpath={.status.phase}=Stopped", "--timeout=60s"]);
    await ok(["apply", "-f", "-"], vmaction("copy-boot", { action: "clone", virtualMachineRef: { name: "boot" }, cloneName: "boot-copy" }));
    await succeeded("copy-boot");
    assert.equal(await ok(["get", "lfvm", "boot-copy", "-n", ns, "-o", "jsonpath={.spec.importedDisk.source}"]), "clone");
    assert.equal(await ok(["get", "lfvma", "copy-boot", "-n", ns, "-o", "jsonpath={.status.virtualMachineRef.name}"]), "boot-copy");

    // A request that cannot succeed fails once, naming what is missing, and is not retried.
    await ok(["apply", "-f", "-"], vmaction("broken", { action: "clone" }));
    await ok(["wait", "lfvma/broken", "-n", ns, "--for=jsonpath={.status.phase}=Failed", "--timeout=30s"]);
    assert.match(await ok(["get", "lfvma", "broken", "-n", ns, "-o", "jsonpath={.status.message}"]), /spec\.virtualMachineRef.*spec\.cloneName|spec\.cloneName/);
  });

  it("keeps no clear-text copy of a Secret applied with kubectl, and applies it again (strategic merge patch)", async () => {
    const secret = (password: string) => JSON.stringify({ apiVersion: "v1", kind: "Secret", metadata: { name: "creds", namespace: ns }, stringData: { password } });
    await ok(["apply", "-f", "-"], secret("hunter2"));
    assert.match(await ok(["apply", "-f", "-"], secret("hunter3")), /configured/);
    const stored = JSON.parse(await ok(["get", "secret", "creds", "-n", ns, "-o", "json"])) as { metadata: { annotations?: Record<string, string> } };
    assert.equal(stored.metadata.annotations?.["kubectl.kubernetes.io/last-applied-configuration"], undefined);
  });

  it("deletes", async () => {
    assert.match(await ok(["delete", "lfvm", "web1", "-n", ns]), /deleted/);
    const gone = await kubectl(["get", "lfvm", "web1", "-n", ns]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /NotFound|not found/);
  });
});
