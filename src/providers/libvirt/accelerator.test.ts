import assert from "node:assert/strict";
import { test } from "node:test";
import { capabilitiesOfferKvm, chooseRemoteVirtType, chooseVirtType, isLocalURI } from "./accelerator.ts";

test("auto: KVM only with kvm_intel or kvm_amd and a usable /dev/kvm", () => {
  assert.equal(chooseVirtType("auto", { kvmDevice: true, modules: ["kvm", "kvm_intel"] }).virtType, "kvm");
  assert.equal(chooseVirtType("auto", { kvmDevice: true, modules: ["kvm", "kvm_amd"] }).virtType, "kvm");
  assert.equal(chooseVirtType("auto", { kvmDevice: false, modules: ["kvm", "kvm_intel"] }).virtType, "qemu");
});

test("auto on a PVM host (/dev/kvm from kvm_pvm) chooses TCG and says why", () => {
  const choice = chooseVirtType("auto", { kvmDevice: true, modules: ["kvm", "kvm_pvm"] });
  assert.equal(choice.virtType, "qemu");
  assert.match(choice.reason, /kvm_pvm is not hardware virtualization/);
});

test("auto without any KVM module chooses TCG; explicit settings win over the host", () => {
  assert.equal(chooseVirtType("auto", { kvmDevice: false, modules: [] }).virtType, "qemu");
  assert.equal(chooseVirtType("kvm", { kvmDevice: true, modules: ["kvm_pvm"] }).virtType, "kvm");
  assert.equal(chooseVirtType("qemu", { kvmDevice: true, modules: ["kvm_intel"] }).virtType, "qemu");
});

test("remote hosts: KVM when their libvirt offers it, saying how to override; explicit settings still win", () => {
  assert.equal(isLocalURI("qemu:///system"), true);
  assert.equal(isLocalURI("qemu+ssh://root@kvm1/system"), false);
  assert.equal(capabilitiesOfferKvm("<guest><arch name='x86_64'><domain type='qemu'/><domain type='kvm'/></arch></guest>"), true);
  assert.equal(capabilitiesOfferKvm("<guest><arch name='x86_64'><domain type='qemu'/></arch></guest>"), false);
  const remote = chooseRemoteVirtType("auto", true);
  assert.equal(remote.virtType, "kvm");
  assert.match(remote.reason, /spec.virtType: qemu/);
  assert.equal(chooseRemoteVirtType("auto", false).virtType, "qemu");
  assert.equal(chooseRemoteVirtType("qemu", true).virtType, "qemu");
});
