import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { guestReport } from "./report.ts";
import { emptyV2vSummary, foundNoOperatingSystem, readV2vLine } from "./v2v-log.ts";

// Excerpt of a real `virt-v2v-in-place -v` run (virt-v2v 2.2.0, Debian bookworm host) converting the
// VMware-style Debian 12 test guest built by test/harness/guests/build.sh.
const realLog = readFileSync(new URL("./testdata/v2v-in-place-debian12.log", import.meta.url), "utf8");

test("a real virt-v2v-in-place log yields the guest's identity, the changes made inside it and the warnings", () => {
  const summary = emptyV2vSummary();
  for (const line of realLog.split("\n")) readV2vLine(summary, line);
  const report = guestReport(summary);
  assert.equal(report.os, "linux");
  assert.equal(report.distro, "debian");
  assert.equal(report.version, "12.15");
  assert.equal(report.firmware, "bios");
  assert.equal(report.converter, "virt-v2v 2.2.0 (virt-v2v-in-place)");
  assert.deepEqual(report.actions, [
    "removed packages open-vm-tools (dpkg --purge)",
    "rebuilt the initramfs of kernel 6.1.0-50-amd64 with virtio drivers (update-initramfs)",
  ]);
  assert.deepEqual(report.warnings, ["could not determine a way to update the configuration of Grub2"]);
});

test("read-only guest commands (dpkg -L) are not reported as changes; repeated lines are reported once", () => {
  const summary = emptyV2vSummary();
  for (const line of ["commandrvf: dpkg -L linux-image-amd64", "commandrvf: dpkg --purge open-vm-tools", "commandrvf: dpkg --purge open-vm-tools"]) {
    readV2vLine(summary, line);
  }
  assert.deepEqual(summary.actions, ["removed packages open-vm-tools (dpkg --purge)"]);
});

test("RHEL-family conversions: dracut and grub2-mkconfig are recognised", () => {
  const summary = emptyV2vSummary();
  readV2vLine(summary, "commandrvf: /usr/bin/dracut --verbose --add-drivers virtio_blk /boot/initramfs-5.14.0-362.el9.x86_64.img 5.14.0-362.el9.x86_64");
  readV2vLine(summary, "commandrvf: grub2-mkconfig -o /boot/grub2/grub.cfg");
  assert.deepEqual(summary.actions, [
    "rebuilt the initramfs with virtio drivers (dracut 5.14.0-362.el9.x86_64)",
    "regenerated the GRUB configuration /boot/grub2/grub.cfg",
  ]);
});

test("UEFI firmware and unknown fields: 'unknown' values are dropped, UEFI is lower-cased", () => {
  const summary = emptyV2vSummary();
  readV2vLine(summary, "i_type = linux");
  readV2vLine(summary, "i_firmware = UEFI");
  readV2vLine(summary, "i_product_variant = unknown");
  readV2vLine(summary, "i_distro = unknown");
  const report = guestReport(summary);
  assert.equal(report.firmware, "uefi");
  assert.equal(report.distro, undefined);
});

test("virt-v2v's answer for a disk without an operating system is recognised, other errors are not", () => {
  // From a real run on a partitioned disk holding an empty ext4 filesystem: the error is followed by ~80 lines
  // (over 4 KiB) of nbdkit shutdown noise, so it must be caught line by line, not from a stderr tail.
  const noOS = emptyV2vSummary();
  for (const line of [
    "inspect_get_roots: roots:",
    "virt-v2v-in-place: error: inspection could not detect the source guest (or physical machine).",
    "",
    "nbdkit: file.10: debug: sending error reply: Cannot send after transport endpoint shutdown",
  ]) {
    readV2vLine(noOS, line);
  }
  assert.equal(foundNoOperatingSystem(noOS), true);
  const other = emptyV2vSummary();
  readV2vLine(other, "virt-v2v-in-place: error: nbdkit is not installed or not working.  It is required to use ‘-i disk’.");
  assert.equal(foundNoOperatingSystem(other), false);
  assert.deepEqual(other.errors, ["nbdkit is not installed or not working.  It is required to use ‘-i disk’."]);
});
