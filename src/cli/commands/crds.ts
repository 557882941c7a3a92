// `crds`: the CustomResourceDefinitions for running landfall's resources in a Kubernetes API server.
import { stringify } from "yaml";
import { crdsFor } from "../../api/crds.ts";
import { KINDS } from "../../api/kinds.ts";
import { UsageError } from "../args.ts";

export function crdsCommand(opts: { output?: string }): string {
  const crds = crdsFor(KINDS);
  const output = opts.output ?? "yaml";
  if (output === "json") return `${JSON.stringify({ apiVersion: "v1", kind: "List", items: crds }, null, 2)}\n`;
  if (output !== "yaml") throw new UsageError(`-o ${JSON.stringify(output)} is not supported for crds; use yaml or json`);
  return crds.map((c) => `---\n${stringify(c)}`).join("");
}
