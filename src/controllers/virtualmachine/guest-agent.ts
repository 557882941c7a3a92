// The VirtualMachine controller's bounded wait for the guest agent: after the domain starts, landfall asks the
// agent who the guest is (OS, hostname, IP addresses) every AGENT_POLL_MS until it answers or AGENT_WAIT_MS
// have passed, then refreshes the answer now and then. Never part of Ready: a guest without an agent is a
// running VM all the same. Pure decisions; reconcile.ts asks the provider.
import type { VirtualMachine, VirtualMachineStatus } from "../../api/virtualmachine.ts";
import type { GuestAgentInfo, TargetVM } from "../../providers/contract.ts";

export const AGENT_WAIT_MS = 10 * 60_000;
export const AGENT_POLL_MS = 10_000;
export const AGENT_REFRESH_MS = 5 * 60_000;
export const AGENT_TIMEOUT_MS = 5_000;

export type AgentCheck =
  | { type: "ask" }
  /** Asked less than AGENT_POLL_MS ago (status writes re-trigger reconcile): look again later, not now. */
  | { type: "later"; afterMs: number }
  | { type: "giveUp"; message: string }
  | { type: "none" };

/** When the domain was last seen starting to run as wanted: Ready turning True with reason Running. */
function runningSince(vm: VirtualMachine): number | undefined {
  const ready = vm.status?.conditions?.find((c) => c.type === "Ready");
  if (ready?.status !== "True" || ready.reason !== "Running") return undefined;
  const at = Date.parse(ready.lastTransitionTime ?? "");
  return Number.isFinite(at) ? at : undefined;
}

export function agentCheckFor(vm: VirtualMachine, domain: TargetVM | undefined, now: number): AgentCheck {
  if (domain?.state !== "running") return { type: "none" };
  const since = runningSince(vm);
  if (since === undefined) return { type: "none" };
  const guest = vm.status?.guest;
  const checkedAt = Date.parse(guest?.checkedAt ?? "");
  const checkedThisRun = Number.isFinite(checkedAt) && checkedAt >= since;
  if (guest?.agentReachable && checkedThisRun) return now - checkedAt >= AGENT_REFRESH_MS ? { type: "ask" } : { type: "none" };
  if (now - since < AGENT_WAIT_MS) {
    const sinceCheck = now - checkedAt;
    return checkedThisRun && sinceCheck < AGENT_POLL_MS ? { type: "later", afterMs: AGENT_POLL_MS - sinceCheck } : { type: "ask" };
  }
  if (checkedThisRun && guest?.message) return { type: "none" };
  return {
    type: "giveUp",
    message: `no guest agent answered within ${AGENT_WAIT_MS / 60_000} min of boot (install and start qemu-guest-agent in the guest)`,
  };
}

/** status.guest from an agent's answer (or its absence), keeping what a migration's inspection knew. */
export function guestStatusFrom(prev: VirtualMachineStatus["guest"], info: GuestAgentInfo | undefined, now: string, message?: string): NonNullable<VirtualMachineStatus["guest"]> {
  if (!info) {
    const guest: NonNullable<VirtualMachineStatus["guest"]> = { ...(prev ?? { os: "unknown" }), agentReachable: false, checkedAt: now };
    if (message) guest.message = message;
    else delete guest.message;
    return guest;
  }
  const guest: NonNullable<VirtualMachineStatus["guest"]> = { os: info.os, agentReachable: true, checkedAt: now, ipAddresses: info.ipAddresses };
  if (info.distro) guest.distro = info.distro;
  if (info.version) guest.version = info.version;
  if (info.prettyName) guest.productName = info.prettyName;
  if (info.hostname) guest.hostname = info.hostname;
  if (info.kernel) guest.kernel = info.kernel;
  return guest;
}

/** How soon to look again for the agent: while waiting for it, AGENT_POLL_MS; afterwards, the refresh period. */
export function agentRequeueMs(check: AgentCheck, reachable: boolean): number | undefined {
  if (check.type === "later") return check.afterMs;
  if (check.type !== "ask") return undefined;
  return reachable ? AGENT_REFRESH_MS : AGENT_POLL_MS;
}
