// vSphere tasks: start a *_Task method, then poll Task.info until it succeeds or fails.
import { setTimeout as sleep } from "node:timers/promises";
import { SourceProviderError, VsphereFault } from "./errors.ts";
import { retrieveOne } from "./property-collector.ts";
import type { VsphereClient } from "./soap-client.ts";
import { type MoRef, moRefOf, num, type SoapObject, text, type XmlNode, xsiType } from "./soap-xml.ts";

export interface TaskOptions {
  timeoutMs?: number;
  /** Called with the task's percentage whenever the server reports one. */
  onProgress?: (percent: number) => void;
  signal?: AbortSignal;
}

/** Calls `method` (a *_Task method) and waits for the task; returns `info.result`. */
export async function runTask(
  client: VsphereClient,
  method: string,
  self: MoRef,
  args: SoapObject,
  options: TaskOptions = {},
): Promise<XmlNode> {
  const task = moRefOf(await client.call(method, self, args, options.signal));
  return waitForTask(client, task, method, options);
}

export async function waitForTask(client: VsphereClient, task: MoRef, method: string, options: TaskOptions = {}): Promise<XmlNode> {
  const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000);
  let delay = 100;
  for (;;) {
    const props = await retrieveOne(client, task, ["info"], options.signal);
    const info = props.info ?? {};
    const state = text(info.state);
    if (state === "success") return info.result;
    if (state === "error") {
      const fault = info.error ?? {};
      throw new VsphereFault(method, xsiType(fault.fault) || "SystemError", text(fault.localizedMessage) || "task failed", fault.fault);
    }
    if (info.progress !== undefined) options.onProgress?.(num(info.progress));
    if (Date.now() > deadline) {
      throw new SourceProviderError("Timeout", `vSphere ${method} task ${task.value} did not finish in ${options.timeoutMs ?? 600_000} ms`);
    }
    await sleep(delay, undefined, { signal: options.signal });
    delay = Math.min(delay * 2, 1000);
  }
}
