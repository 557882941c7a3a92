// The UEFI variant of the real test guest boots in a domain the libvirt target defines (OVMF without Secure
// Boot, TCG where hardware virtualization is missing), and its guest agent answers through the provider.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { TargetProvider } from "../../src/providers/contract.ts";
import { createLibvirtTarget } from "../../src/providers/libvirt/target.ts";
import { LOGIN_PROMPT, ROOT_NOT_FOUND, type RealGuests, realGuests, waitForOutcome } from "../harness/guests/guests.ts";
import { createTempLibvirt, type TempLibvirt } from "../harness/libvirt.ts";

let env: TempLibvirt;
let guests: RealGuests;
let target: TargetProvider;

before(async () => {
  guests = await realGuests();
  env = await createTempLibvirt("uefi");
  target = createLibvirtTarget({ uri: "qemu:///system", storagePool: env.pool, storagePoolPath: env.poolPath, consoleLogDir: env.consoleLogDir });
  await target.ensureStorage();
}, { timeout: 20 * 60_000 }); // builds the guests on first use (make setup normally did)

after(async () => {
  await target?.close();
  await env?.cleanup();
});

// A TCG boot on a loaded 2-core host can take several minutes: a bound above run.sh's default 10 min per test.
test("the UEFI Debian guest boots to multi-user and its agent reports Debian", { timeout: 20 * 60_000 }, async () => {
  const health = await target.check();
  assert.ok(health.virtType, "the libvirt target reports its accelerator");
  const disk = await target.importDisk({ diskID: `${env.prefix}-uefi`, sourcePath: guests.uefi, sourceFormat: "raw", format: "qcow2" });
  const vm = await target.createVM({
    name: `${env.prefix}-uefi`,
    cpus: 1,
    memoryMiB: 1024,
    firmware: "uefi",
    machineType: "q35",
    // The guest's initramfs has AHCI but no virtio (VMware-style): SATA boots it unconverted.
    disks: [{ path: disk.path, format: disk.format, bus: "sata" }],
    nics: [{ network: "user", model: "virtio" }],
  });
  assert.equal(vm.firmware, "uefi");
  await target.setPower(vm.uuid, "start");
  const { outcome, log } = await waitForOutcome(vm.consoleLog as string, { login: LOGIN_PROMPT, rootMissing: ROOT_NOT_FOUND }, 8 * 60_000);
  assert.equal(outcome, "login", log.slice(-2000));
  // GRUB's EFI build ran (not BIOS): the kernel saw EFI firmware.
  assert.match(log, /efi: EFI v|EFI v2/);

  let info = await target.guestInfo?.(vm.uuid, { timeoutMs: 5000 });
  for (let i = 0; !info && i < 30; i++) {
    await new Promise((r) => setTimeout(r, 2000));
    info = await target.guestInfo?.(vm.uuid, { timeoutMs: 5000 });
  }
  assert.ok(info, "the guest agent answered");
  assert.equal(info.os, "linux");
  assert.equal(info.distro, "debian");
  assert.equal(info.hostname, guests.hostname);
});
