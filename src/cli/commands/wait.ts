// `wait KIND/NAME --for=…`: watches the object until the condition holds; on timeout reports what it last saw.
import { isApiError } from "../../api/errors.ts";
import type { KindInfo } from "../../api/kinds.ts";
import type { KubeObject } from "../../api/meta.ts";
import { parseDuration, parseKindAndName, parseWaitFor, UsageError, valueAtPath, type WaitFor } from "../args.ts";
import { type LandfallClient, resourcePath } from "../client.ts";
import { condition } from "../columns.ts";

/** Whether `obj` (undefined: it does not exist) satisfies `wait`, and what was observed, for the timeout message. */
export function evaluateWait(wait: WaitFor, obj: KubeObject | undefined): { met: boolean; observed: string } {
  if (wait.kind === "delete") return { met: obj === undefined, observed: obj === undefined ? "deleted" : "still exists" };
  if (obj === undefined) return { met: false, observed: "not found" };
  if (wait.kind === "condition") {
    const c = condition(obj, wait.type);
    return { met: c?.status === wait.status, observed: c ? `${wait.type}=${c.status}${c.reason ? ` (${c.reason}${c.message ? `: ${c.message}` : ""})` : ""}` : `no ${wait.type} condition` };
  }
  const v = valueAtPath(obj, wait.path);
  const shown = v === undefined ? "<none>" : typeof v === "string" ? v : JSON.stringify(v);
  const met = wait.value === undefined ? v !== undefined && v !== "" && v !== false : shown === wait.value;
  return { met, observed: `${wait.expression}=${shown}` };
}

export async function waitCommand(
  client: LandfallClient,
  target: string,
  nameArg: string | undefined,
  opts: { for?: string; timeout?: string; namespace?: string },
): Promise<string> {
  const { info, name } = parseKindAndName(target, nameArg);
  if (!name) throw new UsageError(`wait needs an object: landfall wait ${info.singular}/NAME --for=condition=Ready`);
  if (!opts.for) throw new UsageError("wait needs --for=condition=TYPE, --for=jsonpath='{.path}'=VALUE or --for=delete");
  const wait = parseWaitFor(opts.for);
  const timeoutMs = parseDuration("--timeout", opts.timeout ?? "30s");
  const ns = opts.namespace ?? "default";
  const label = `${info.singular}/${name}`;
  const done = await waitUntil(client, info, ns, name, wait, timeoutMs);
  if (!done.met) throw new Error(`timed out after ${opts.timeout ?? "30s"} waiting for ${label} (--for=${opts.for}); last observed: ${done.observed}`);
  return `${label} condition met`;
}

export async function waitUntil(client: LandfallClient, info: KindInfo, ns: string, name: string, wait: WaitFor, timeoutMs: number) {
  const timer = new AbortController();
  const t = setTimeout(() => timer.abort(), timeoutMs);
  let last = { met: false, observed: "nothing yet" };
  try {
    while (!timer.signal.aborted) {
      let obj: KubeObject | undefined;
      try {
        obj = await client.get(info, ns, name);
      } catch (err) {
        if (!isApiError(err, "NotFound")) throw err;
      }
      last = evaluateWait(wait, obj);
      if (last.met) return last;
      // Watch from what we just read so no change between the read and the watch is missed.
      const from = obj?.metadata.resourceVersion;
      try {
        await client.watch(
          resourcePath(info, ns),
          { fieldSelector: `metadata.name=${name}`, resourceVersion: from, timeoutSeconds: Math.max(1, Math.ceil(timeoutMs / 1000)) },
          (event) => {
            last = evaluateWait(wait, event.type === "DELETED" ? undefined : event.object);
            return !last.met;
          },
          timer.signal,
        );
      } catch (err) {
        if (!isApiError(err, "Gone")) throw err; // Gone: read again and resume from a fresh revision
      }
      if (last.met) return last;
    }
    return last;
  } catch (err) {
    if (timer.signal.aborted && (err as Error).name === "AbortError") return last;
    throw err;
  } finally {
    clearTimeout(t);
  }
}
