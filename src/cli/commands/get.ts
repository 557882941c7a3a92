// `get KIND [NAME]`: one object or a list, as a table, JSON, YAML or names.
import type { KubeObject } from "../../api/meta.ts";
import { type OutputFormat, parseKindAndName } from "../args.ts";
import type { LandfallClient } from "../client.ts";
import { printObjects } from "../printers.ts";

export interface GetOptions {
  namespace?: string;
  allNamespaces?: boolean;
  selector?: string;
  output: OutputFormat;
}

export async function getCommand(client: LandfallClient, kindArg: string, nameArg: string | undefined, opts: GetOptions): Promise<{ stdout: string; stderr: string }> {
  const { info, name } = parseKindAndName(kindArg, nameArg);
  const ns = opts.namespace ?? "default";
  if (name !== undefined) {
    const obj = await client.get(info, ns, name);
    return { stdout: printObjects(info.kind, [obj], true, { output: opts.output, allNamespaces: false }), stderr: "" };
  }
  const list = await client.listAll<KubeObject>(info, opts.allNamespaces ? undefined : ns, opts.selector);
  const stdout = printObjects(info.kind, list.items, false, { output: opts.output, allNamespaces: Boolean(opts.allNamespaces) });
  const empty = list.items.length === 0 && (opts.output === "table" || opts.output === "wide");
  return { stdout, stderr: empty ? (opts.allNamespaces ? "No resources found\n" : `No resources found in ${ns} namespace.\n`) : "" };
}
