import assert from "node:assert/strict";
import { test } from "node:test";
import { XMLParser } from "fast-xml-parser";
import type { TargetVMSpec } from "../contract.ts";
import { buildDomainXML, guestDeviceName, labelsElementXML, labelsFrom, parseDomainXML } from "./domain-xml.ts";

const spec: TargetVMSpec = {
  name: "web01",
  uuid: "4a3b2c1d-0000-4000-8000-00000000abcd",
  cpus: 2,
  memoryMiB: 1536,
  firmware: "bios",
  disks: [
    { path: "/pool/web01-boot.qcow2", format: "qcow2", bus: "virtio" },
    { path: "/pool/web01-data.raw", format: "raw", bus: "scsi" },
    { path: "/pool/web01-logs.raw", format: "raw", bus: "sata" },
    { path: "/pool/web01-extra.qcow2", format: "qcow2", bus: "virtio", readonly: true },
  ],
  nics: [
    { network: "user", macAddress: "00:50:56:AA:BB:01", model: "virtio" },
    { network: "prod", macAddress: "00:50:56:aa:bb:02", model: "e1000e" },
    { network: "bridge:br0", model: "virtio" },
  ],
  labels: { "landfall.dev/adopted": "true", "app.kubernetes.io/managed-by": "landfall", odd: `a"b<c>&'d` },
  description: "migrated from <vsphere> & co",
};

const raw = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@_", parseTagValue: false });

test("buildDomainXML emits what libvirt needs, checked by parsing it generically", () => {
  const xml = buildDomainXML(spec, { domainType: "kvm", consoleLogPath: "/var/log/landfall/console/web01.log" });
  const d = raw.parse(xml).domain;
  assert.equal(d["@_type"], "kvm");
  assert.equal(d.name, "web01");
  assert.equal(d.uuid, spec.uuid);
  assert.equal(d.description, "migrated from <vsphere> & co");
  assert.deepEqual(d.memory, { "@_unit": "MiB", "#text": "1536" });
  assert.equal(d.vcpu, "2");
  assert.equal(d.os.type["#text"], "hvm");
  assert.equal(d.os["@_firmware"], undefined, "bios needs no firmware attribute");
  const disks = d.devices.disk;
  assert.deepEqual(
    disks.map((x: Record<string, Record<string, string>>) => [x.target["@_dev"], x.target["@_bus"], x.driver["@_type"]]),
    [
      ["vda", "virtio", "qcow2"],
      ["sda", "scsi", "raw"],
      ["sdb", "sata", "raw"],
      ["vdb", "virtio", "qcow2"],
    ],
  );
  assert.equal(disks[0].source["@_file"], "/pool/web01-boot.qcow2");
  assert.ok("readonly" in disks[3]);
  assert.equal(d.devices.controller["@_model"], "virtio-scsi", "scsi disks need a virtio-scsi controller");
  const [user, net, bridge] = d.devices.interface;
  assert.equal(user["@_type"], "user");
  assert.equal(user.mac["@_address"], "00:50:56:aa:bb:01", "MAC preserved (lower-cased)");
  assert.equal(net["@_type"], "network");
  assert.equal(net.source["@_network"], "prod");
  assert.equal(net.model["@_type"], "e1000e");
  assert.equal(bridge.source["@_bridge"], "br0");
  assert.deepEqual(d.devices.serial.source, { "@_path": "/var/log/landfall/console/web01.log", "@_append": "on" });
  assert.equal(d.devices.console.target["@_type"], "serial");
  const labels = d.metadata["landfall:labels"];
  assert.equal(labels["@_xmlns:landfall"], "https://landfall.dev/xmlns/v1");
});

test("no scsi controller without scsi disks; uefi sets os firmware=efi; TCG domain type", () => {
  const xml = buildDomainXML(
    { ...spec, firmware: "uefi", disks: [spec.disks[0]], nics: [], labels: {} },
    { domainType: "qemu" },
  );
  const d = raw.parse(xml).domain;
  assert.equal(d["@_type"], "qemu");
  assert.equal(d.os["@_firmware"], "efi");
  assert.equal(d.devices.controller, undefined);
  assert.equal(d.devices.serial, undefined, "no console log path, no serial file");
});

test("build → parse round-trips the TargetVM fields", () => {
  const xml = buildDomainXML(spec, { domainType: "kvm", consoleLogPath: "/logs/web01.log" });
  const { vm, volumes, active } = parseDomainXML(xml);
  assert.equal(active, false);
  assert.deepEqual(volumes, []);
  assert.deepEqual(vm, {
    uuid: spec.uuid,
    name: "web01",
    cpus: 2,
    memoryMiB: 1536,
    firmware: "bios",
    disks: [
      { path: "/pool/web01-boot.qcow2", format: "qcow2", bus: "virtio", device: "vda" },
      { path: "/pool/web01-data.raw", format: "raw", bus: "scsi", device: "sda" },
      { path: "/pool/web01-logs.raw", format: "raw", bus: "sata", device: "sdb" },
      { path: "/pool/web01-extra.qcow2", format: "qcow2", bus: "virtio", device: "vdb", readonly: true },
    ],
    nics: [
      { network: "user", macAddress: "00:50:56:aa:bb:01", model: "virtio" },
      { network: "prod", macAddress: "00:50:56:aa:bb:02", model: "e1000e" },
      { network: "bridge:br0", model: "virtio" },
    ],
    labels: spec.labels,
    consoleLog: "/logs/web01.log",
  });
  // And parse → build → parse is stable.
  const again = parseDomainXML(buildDomainXML({ ...vm, labels: vm.labels }, { domainType: "kvm", consoleLogPath: "/logs/web01.log" }));
  assert.deepEqual(again.vm, vm);
});

// Shaped like `virsh dumpxml` of a running domain defined by another tool: KiB memory, placement attribute,
// a pool volume disk, a cdrom, OVMF loader instead of firmware='efi', labels under a different prefix.
const dumped = `<domain type='kvm' id='7'>
  <name>imported-vm</name>
  <uuid>9f0e8d7c-1111-4222-8333-944455556666</uuid>
  <metadata>
    <other:info xmlns:other="https://example.com/other"><other:label key="x" value="not ours"/></other:info>
    <lf:labels xmlns:lf="https://landfall.dev/xmlns/v1"><lf:label key="cozystack.io/adopted" value="true"/></lf:labels>
  </metadata>
  <memory unit='KiB'>2097152</memory>
  <vcpu placement='static'>4</vcpu>
  <os>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
    <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>
  </os>
  <devices>
    <disk type='volume' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source pool='default' volume='imported.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <source file='/iso/seed.iso'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>
    <disk type='block' device='disk'>
      <driver name='qemu' type='raw'/>
      <source dev='/dev/vg0/data'/>
      <target dev='sdb' bus='sata'/>
    </disk>
    <interface type='bridge'>
      <mac address='52:54:00:01:02:03'/>
      <source bridge='br-prod'/>
      <model type='virtio'/>
    </interface>
    <serial type='pty'><target port='0'/></serial>
  </devices>
</domain>`;

test("parseDomainXML reads libvirt's own output: units, volumes, loader, foreign metadata", () => {
  const { vm, volumes, active } = parseDomainXML(dumped);
  assert.equal(active, true);
  assert.equal(vm.memoryMiB, 2048);
  assert.equal(vm.cpus, 4);
  assert.equal(vm.firmware, "uefi");
  assert.deepEqual(vm.labels, { "cozystack.io/adopted": "true" }, "only our namespace, whatever its prefix");
  assert.equal(vm.disks.length, 2, "cdroms are not disks");
  assert.deepEqual(volumes, [{ diskIndex: 0, pool: "default", volume: "imported.qcow2" }]);
  assert.equal(vm.disks[0].path, "");
  assert.deepEqual(vm.disks[1], { path: "/dev/vg0/data", format: "raw", bus: "sata", device: "sdb" });
  assert.deepEqual(vm.nics, [{ network: "bridge:br-prod", macAddress: "52:54:00:01:02:03", model: "virtio" }]);
  assert.equal(vm.consoleLog, undefined, "a pty serial has no log file");
});

test("labelsElementXML is what virsh metadata --set takes, and parses back", () => {
  const xml = labelsElementXML({ b: "2", a: `1"&<` });
  assert.match(xml, /^<labels>/);
  const wrapped = `<domain><metadata>${xml.replace("<labels>", '<labels xmlns="https://landfall.dev/xmlns/v1">')}</metadata></domain>`;
  const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@_", isArray: (n) => n === "label" }).parse(wrapped);
  assert.deepEqual(labelsFrom(parsed.domain.metadata), { a: `1"&<`, b: "2" });
});

test("guest device names continue past z like libvirt's", () => {
  assert.equal(guestDeviceName("vd", 0), "vda");
  assert.equal(guestDeviceName("vd", 25), "vdz");
  assert.equal(guestDeviceName("vd", 26), "vdaa");
  assert.equal(guestDeviceName("sd", 27), "sdab");
});

test("invalid specs are refused with the field and value named", () => {
  const cases: Array<[Partial<TargetVMSpec>, RegExp]> = [
    [{ name: "" }, /TargetVMSpec\.name/],
    [{ uuid: "nope" }, /TargetVMSpec\.uuid "nope"/],
    [{ cpus: 0 }, /TargetVMSpec\.cpus 0/],
    [{ memoryMiB: 1.5 }, /TargetVMSpec\.memoryMiB 1\.5/],
    [{ disks: [{ path: "relative.qcow2", format: "qcow2", bus: "virtio" }] }, /disks\[0\]\.path "relative\.qcow2"/],
    [{ nics: [{ network: "user", macAddress: "zz", model: "virtio" }] }, /nics\[0\]\.macAddress "zz"/],
  ];
  for (const [patch, message] of cases) {
    assert.throws(() => buildDomainXML({ ...spec, ...patch }, { domainType: "kvm" }), message);
  }
});

test("CPU model: host-model under KVM, the x86-64-v2 baseline (not qemu64) under TCG, the spec's when given", () => {
  const kvm = raw.parse(buildDomainXML(spec, { domainType: "kvm" })).domain;
  assert.deepEqual(kvm.cpu, { "@_mode": "host-model" });
  const tcg = raw.parse(buildDomainXML(spec, { domainType: "qemu" })).domain;
  assert.equal(tcg.cpu["@_mode"], "custom");
  assert.equal(tcg.cpu.model["#text"], "Nehalem");
  assert.equal(tcg.cpu.model["@_fallback"], "forbid");
  const max = raw.parse(buildDomainXML({ ...spec, cpuModel: "max" }, { domainType: "qemu" })).domain;
  assert.deepEqual(max.cpu, { "@_mode": "maximum" });
  const named = raw.parse(buildDomainXML({ ...spec, cpuModel: "Westmere" }, { domainType: "kvm" })).domain;
  assert.equal(named.cpu.model["#text"], "Westmere");
});

test("machine type only when given; a guest-agent channel and virtio-rng always", () => {
  const plain = raw.parse(buildDomainXML(spec, { domainType: "qemu" })).domain;
  assert.equal(plain.os.type["@_machine"], undefined);
  assert.equal(plain.devices.channel["@_type"], "unix");
  assert.equal(plain.devices.channel.target["@_name"], "org.qemu.guest_agent.0");
  assert.equal(plain.devices.rng["@_model"], "virtio");
  assert.equal(plain.devices.rng.backend["#text"], "/dev/urandom");
  const q35 = raw.parse(buildDomainXML({ ...spec, machineType: "q35" }, { domainType: "qemu" })).domain;
  assert.equal(q35.os.type["@_machine"], "q35");
});

test("UEFI domains ask libvirt for firmware without Secure Boot (unsigned bootloaders must boot)", () => {
  const d = raw.parse(buildDomainXML({ ...spec, firmware: "uefi" }, { domainType: "qemu" })).domain;
  assert.equal(d.os["@_firmware"], "efi");
  assert.deepEqual(d.os.firmware.feature, { "@_enabled": "no", "@_name": "secure-boot" });
});

test("cpuModel and machineType are validated, naming the field", () => {
  assert.throws(() => buildDomainXML({ ...spec, cpuModel: "host model" }, { domainType: "kvm" }), /cpuModel "host model"/);
  assert.throws(() => buildDomainXML({ ...spec, machineType: "Q35;rm" }, { domainType: "kvm" }), /machineType "Q35;rm"/);
});
