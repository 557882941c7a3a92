import assert from "node:assert/strict";
import { test } from "node:test";
import { hostnameFrom, ipAddressesFrom, osInfoFrom } from "./guest-agent.ts";

// Answers as qemu-guest-agent 7.2 on Debian 12 gives them through `virsh qemu-agent-command`.
const debianOsInfo =
  '{"return":{"name":"Debian GNU/Linux","kernel-release":"6.1.0-50-amd64","version":"12 (bookworm)","pretty-name":"Debian GNU/Linux 12 (bookworm)","version-id":"12","kernel-version":"#1 SMP PREEMPT_DYNAMIC Debian 6.1.164-1 (2026-03-01)","machine":"x86_64","id":"debian"}}';

test("guest-get-osinfo of a Debian guest: linux, debian 12, kernel", () => {
  assert.deepEqual(osInfoFrom(debianOsInfo), {
    os: "linux",
    distro: "debian",
    version: "12",
    prettyName: "Debian GNU/Linux 12 (bookworm)",
    kernel: "6.1.0-50-amd64",
  });
});

test("a Windows guest is os windows; an answer without return is an error naming it", () => {
  assert.equal(osInfoFrom('{"return":{"id":"mswindows","version-id":"2019"}}').os, "windows");
  assert.throws(() => osInfoFrom('{"error":{"class":"CommandNotFound"}}'), /without "return"/);
});

test("interfaces: loopback, link-local and duplicates are left out", () => {
  const answer = JSON.stringify({
    return: [
      { name: "lo", "ip-addresses": [{ "ip-address-type": "ipv4", "ip-address": "127.0.0.1", prefix: 8 }] },
      {
        name: "enp1s0",
        "hardware-address": "52:54:00:12:34:56",
        "ip-addresses": [
          { "ip-address-type": "ipv4", "ip-address": "10.0.2.15", prefix: 24 },
          { "ip-address-type": "ipv6", "ip-address": "fe80::5054:ff:fe12:3456", prefix: 64 },
          { "ip-address-type": "ipv6", "ip-address": "fec0::5054:ff:fe12:3456", prefix: 64 },
        ],
      },
      { name: "enp2s0", "ip-addresses": [{ "ip-address-type": "ipv4", "ip-address": "10.0.2.15", prefix: 24 }] },
    ],
  });
  assert.deepEqual(ipAddressesFrom(answer), ["10.0.2.15", "fec0::5054:ff:fe12:3456"]);
  assert.equal(hostnameFrom('{"return":{"host-name":"landfall-guest"}}'), "landfall-guest");
});
