// A real guest off VMware: the VMware-style Debian (test/harness/guests: root on SATA, no virtio in its initramfs,
// open-vm-tools, a NIC config for ens192) served by the vCenter simulator, migrated by a real `bin/landfall serve`
// into real libvirt. With guest conversion it boots on virtio to multi-user and its guest agent answers; the same
// disk migrated without conversion onto virtio never finds its root disk — the conversion is what makes it boot.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { VirtualMachine } from "../../src/api/virtualmachine.ts";
import type { VMMigration } from "../../src/api/vmmigration.ts";
import { type ServeProcess, startServeProcess } from "../../src/compose/serve-process.ts";
import { LOGIN_PROMPT, ROOT_NOT_FOUND, type RealGuests, realGuests, waitForOutcome } from "../harness/guests/guests.ts";
import { api, resourcePath, waitFor } from "../harness/landfall.ts";
import { createTempLibvirt, sha256File, type TempLibvirt, virsh } from "../harness/libvirt.ts";
import { applySourceAndTarget } from "../harness/providers.ts";
import { startVcsim, type Vcsim } from "../harness/vcsim/harness.ts";

let guests: RealGuests;
let vc: Vcsim;
let lv: TempLibvirt;
let srv: ServeProcess;
let dataDir: string;
let ns: string;
let sourceSha256: string;

const migration = async (name: string) => (await api<VMMigration>(srv, resourcePath(ns, "vmmigrations", name))).body;
const virtualMachine = async (name: string) => (await api<VirtualMachine>(srv, resourcePath(ns, "virtualmachines", name))).body;
const finished = (name: string) =>
  waitFor(`VMMigration ${name} to finish`, 25 * 60_000, async () => {
    const m = await migration(name);
    return m.status?.phase === "Succeeded" || m.status?.phase === "Failed" ? m : undefined;
  }, 2000);

function debianVM(name: string) {
  return {
    name,
    uuid: randomUUID(),
    guestId: "debian12_64Guest",
    cpus: 1,
    memoryMiB: 1024,
    firmware: "bios" as const,
    disks: [{ contentPath: guests.bios }],
    nics: [{ network: "VM Network", model: "vmxnet3" as const }],
  };
}

before(async () => {
  guests = await realGuests();
  sourceSha256 = `sha256:${await sha256File(guests.bios)}`;
  lv = await createTempLibvirt("guest");
  ns = lv.prefix;
  vc = await startVcsim({ vms: [debianVM("deb-converted"), debianVM("deb-unconverted")] });
  dataDir = await mkdtemp(join(tmpdir(), "landfall-e2e-guest-"));
  srv = await startServeProcess({ dataDir, env: { LANDFALL_LOG_FORMAT: "text" } });
  await applySourceAndTarget(srv, ns, vc, lv, {
    more: [
      `apiVersion: landfall.dev/v1beta1
kind: VMMigration
metadata: {name: deb-converted, namespace: ${ns}}
spec:
  source: {providerRef: {name: vcenter}, vmName: deb-converted}
  target: {providerRef: {name: kvm}, powerOn: true}
---
apiVersion: landfall.dev/v1beta1
kind: VMMigration
metadata: {name: deb-unconverted, namespace: ${ns}}
spec:
  source: {providerRef: {name: vcenter}, vmName: deb-unconverted}
  target: {providerRef: {name: kvm}, powerOn: true, diskBus: virtio}
  options: {guestConversion: skip}
`,
    ],
  });
}, { timeout: 20 * 60_000 }); // builds the guests on first use (make setup normally did)

after(async () => {
  await srv?.stop();
  await vc?.stop();
  await lv?.cleanup();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

// TCG boots on a loaded 2-core host can take several minutes: these tests carry their own bounds, above run.sh's
// default 10 min per test.
const LONG = { timeout: 30 * 60_000 };

test("converted: boots on virtio to multi-user, the agent answers with Debian, status records the conversion and both hashes", LONG, async () => {
  const m = await finished("deb-converted");
  assert.equal(m.status?.phase, "Succeeded", m.status?.message);
  const guest = m.status?.guest;
  assert.equal(guest?.os, "linux");
  assert.equal(guest?.distro, "debian");
  assert.equal(guest?.firmware, "bios");
  assert.ok(guest?.conversion.some((a) => /rebuilt the initramfs .* with virtio drivers/.test(a)), JSON.stringify(guest));
  assert.ok(guest?.conversion.some((a) => /open-vm-tools/.test(a)), JSON.stringify(guest));
  const [boot] = m.status?.disks ?? [];
  assert.equal(boot.sha256, sourceSha256, "source hash of the guest-visible bytes");
  assert.equal(boot.targetSha256, boot.sha256, "the target image was verified against the source before conversion");
  assert.match(boot.convertedSha256 ?? "", /^sha256:[0-9a-f]{64}$/);
  assert.notEqual(boot.convertedSha256, boot.sha256, "conversion changed the guest");

  const vm = await virtualMachine("deb-converted");
  assert.equal(vm.metadata.annotations?.["landfall.dev/disk-checksum"], boot.convertedSha256, "disk-checksum = the image the VM boots from");
  assert.equal(vm.metadata.annotations?.["landfall.dev/source-checksum"], boot.sha256);
  assert.deepEqual(JSON.parse(vm.metadata.annotations?.["landfall.dev/guest"] ?? "{}").conversion, guest?.conversion);
  assert.equal(vm.spec.diskBus, "virtio");
  assert.equal(vm.spec.machineType, "q35");

  const running = await waitFor("the VM's domain and console", 120_000, async () => {
    const v = await virtualMachine("deb-converted");
    return v.status?.consoleLog && v.status.domainName ? v : undefined;
  });
  assert.equal(running.status?.diskInfo?.targetChecksum, boot.convertedSha256);
  assert.match(await virsh(["dumpxml", running.status?.domainName as string]), /machine='pc-q35-/, "the domain is the q35 machine the VM asks for");
  const { outcome, log } = await waitForOutcome(running.status?.consoleLog as string, { login: LOGIN_PROMPT, rootMissing: ROOT_NOT_FOUND }, 10 * 60_000);
  assert.equal(outcome, "login", log.slice(-2000));
  assert.match(log, /virtio_blk|vda/, "the root disk is on virtio");

  const osinfo = await waitFor("guest-get-osinfo", 180_000, async () =>
    JSON.parse(await virsh(["qemu-agent-command", running.status?.domainName as string, '{"execute":"guest-get-osinfo"}', "--timeout", "5"])) as { return: { id: string; "pretty-name": string } },
  3000);
  assert.equal(osinfo.return.id, "debian");
  const seen = await waitFor("status.guest from the agent", 180_000, async () => {
    const v = await virtualMachine("deb-converted");
    return v.status?.guest?.agentReachable ? v.status.guest : undefined;
  }, 2000);
  assert.equal(seen.distro, "debian");
  assert.equal(seen.hostname, guests.hostname);
});

test("the libvirt Provider reports the accelerator its VMs get, and why", async () => {
  const provider = (await api<{ status?: { virtType?: string; virtTypeReason?: string } }>(srv, resourcePath(ns, "providers", "kvm"))).body;
  assert.match(provider.status?.virtType ?? "", /^(kvm|qemu)$/);
  assert.match(provider.status?.virtTypeReason ?? "", /kvm_intel|kvm_amd|kvm_pvm|TCG|hardware/);
});

test("negative control: the same disk, unconverted, on virtio never reaches multi-user (its initramfs cannot find root)", LONG, async () => {
  const m = await finished("deb-unconverted");
  assert.equal(m.status?.phase, "Succeeded", m.status?.message);
  assert.equal(m.status?.guest, undefined, "guestConversion: skip inspects nothing");
  const [boot] = m.status?.disks ?? [];
  assert.equal(boot.convertedSha256, undefined);
  assert.equal(boot.targetSha256, boot.sha256);
  const vm = await waitFor("the unconverted VM's console", 120_000, async () => {
    const v = await virtualMachine("deb-unconverted");
    return v.status?.consoleLog ? v : undefined;
  });
  assert.equal(vm.spec.diskBus, "virtio");
  assert.equal(vm.metadata.annotations?.["landfall.dev/disk-checksum"], boot.sha256);
  const { outcome, log } = await waitForOutcome(vm.status?.consoleLog as string, { login: LOGIN_PROMPT, rootMissing: ROOT_NOT_FOUND }, 10 * 60_000);
  assert.equal(outcome, "rootMissing", log.slice(-2000));
  assert.ok(!log.includes(LOGIN_PROMPT));
});
