// What a running guest's qemu-guest-agent says about itself, read with `virsh qemu-agent-command`. The parsing
// of the agent's JSON answers is pure; the libvirt target runs the commands.
import type { GuestAgentInfo } from "../contract.ts";

/** The agent commands asked, in order; each answer is `{"return": …}`. */
export const AGENT_COMMANDS = {
  osinfo: '{"execute":"guest-get-osinfo"}',
  hostname: '{"execute":"guest-get-host-name"}',
  interfaces: '{"execute":"guest-network-get-interfaces"}',
} as const;

type Json = Record<string, unknown>;

function returned(answer: string): unknown {
  const parsed = JSON.parse(answer) as Json;
  if (!("return" in parsed)) throw new Error(`guest agent answered without "return": ${answer.slice(0, 200)}`);
  return parsed["return"];
}

const str = (value: unknown): string | undefined => (typeof value === "string" && value ? value : undefined);

/** guest-get-osinfo → os (the agent's id: debian, rhel, mswindows…), name, version, kernel. */
export function osInfoFrom(answer: string): Pick<GuestAgentInfo, "os" | "distro" | "version" | "prettyName" | "kernel"> {
  const r = returned(answer) as Json;
  const id = str(r["id"]);
  const info: Pick<GuestAgentInfo, "os" | "distro" | "version" | "prettyName" | "kernel"> = {
    os: id === "mswindows" ? "windows" : id ? "linux" : "unknown",
  };
  if (id && id !== "mswindows") info.distro = id;
  const version = str(r["version-id"]) ?? str(r["version"]);
  if (version) info.version = version;
  const pretty = str(r["pretty-name"]) ?? str(r["name"]);
  if (pretty) info.prettyName = pretty;
  const kernel = str(r["kernel-release"]);
  if (kernel) info.kernel = kernel;
  return info;
}

export function hostnameFrom(answer: string): string | undefined {
  return str((returned(answer) as Json)["host-name"]);
}

/** guest-network-get-interfaces → the guest's addresses, loopback and link-local left out. */
export function ipAddressesFrom(answer: string): string[] {
  const interfaces = returned(answer);
  const addresses: string[] = [];
  for (const nic of Array.isArray(interfaces) ? (interfaces as Json[]) : []) {
    if (nic["name"] === "lo") continue;
    for (const a of Array.isArray(nic["ip-addresses"]) ? (nic["ip-addresses"] as Json[]) : []) {
      const ip = str(a["ip-address"]);
      if (!ip || ip.startsWith("127.") || ip === "::1" || /^fe80:/i.test(ip) || ip.startsWith("169.254.")) continue;
      if (!addresses.includes(ip)) addresses.push(ip);
    }
  }
  return addresses;
}
