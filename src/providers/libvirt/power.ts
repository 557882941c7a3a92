// Power decisions as pure functions: what virsh reports, and which command (if any) moves a domain toward
// the requested state. Idempotent by construction: asking a running domain to start is no command at all.
import type { TargetPowerState } from "../contract.ts";

export type PowerAction = "start" | "shutdown" | "stop" | "reboot";
export type VirshPowerCommand = "start" | "resume" | "shutdown" | "destroy" | "reboot";

/**
 * The `virsh list --state-<name>` filters whose members are all in the power state of that same name (libvirt's
 * "running", "paused" and "shutoff" are exactly domstate's running, paused and shut off); "other" mixes several.
 */
export const LISTED_STATES = ["running", "paused", "shutoff"] as const satisfies readonly TargetPowerState[];

/** `virsh domstate` output → TargetPowerState. */
export function powerStateFromDomstate(output: string): TargetPowerState {
  switch (output.trim().split("\n")[0]?.trim()) {
    case "running":
    case "idle":
    case "blocked":
      return "running";
    case "paused":
    case "pmsuspended":
      return "paused";
    case "shut off":
      return "shutoff";
    case "in shutdown":
      return "shutdown";
    case "crashed":
      return "crashed";
    default:
      return "unknown";
  }
}

/** The virsh command that carries out `action` from `state`; undefined when nothing needs doing. */
export function powerCommandFor(state: TargetPowerState, action: PowerAction): VirshPowerCommand | undefined {
  const off = state === "shutoff" || state === "crashed";
  switch (action) {
    case "start":
      if (state === "paused") return "resume";
      return off ? "start" : undefined;
    case "shutdown":
      // A guest already shutting down needs no second ACPI request.
      return off || state === "shutdown" ? undefined : "shutdown";
    case "stop":
      return off ? undefined : "destroy";
    case "reboot":
      // Rebooting a stopped VM means bringing it up: the caller wants it running afterwards.
      return off ? "start" : "reboot";
  }
}
