// `start|stop vm NAME` set spec.powerState (the VirtualMachine controller powers the domain); `restart vm NAME`
// asks for a reboot (a reboot is an action, not a desired state): the server sets the VM's
// landfall.dev/restart-requested-at annotation and the controller reboots the running domain once.
import { UsageError } from "../args.ts";
import { type LandfallClient, resourcePath } from "../client.ts";
import { virtualMachineTarget } from "./vm-target.ts";

export type PowerAction = "start" | "stop" | "restart";

const PAST: Record<PowerAction, string> = { start: "started", stop: "stopped", restart: "restart requested" };

/** The merge patch `start`/`stop` send. */
export function powerPatch(action: "start" | "stop"): { spec: { powerState: "On" | "Off" } } {
  return { spec: { powerState: action === "start" ? "On" : "Off" } };
}

export async function powerCommand(
  client: LandfallClient,
  action: PowerAction,
  kindArg: string,
  nameArg: string | undefined,
  opts: { namespace?: string },
): Promise<string> {
  if (!(action in PAST)) throw new UsageError(`unknown power action "${action}"; use start, stop or restart`);
  const { info, name } = virtualMachineTarget(action, kindArg, nameArg);
  const ns = opts.namespace ?? "default";
  if (action === "restart") {
    const res = await client.request<{ message?: string }>("POST", resourcePath(info, ns, name, "restart"));
    return `${info.singular}/${name} ${PAST[action]}${res?.message ? ` (${res.message})` : ""}`;
  }
  await client.request("PATCH", resourcePath(info, ns, name), { body: powerPatch(action), contentType: "application/merge-patch+json" });
  return `${info.singular}/${name} ${PAST[action]}`;
}
