// `render cozystack VM` and `render forklift VMIMPORT`: fetch the objects from the server and render them locally
// as manifests for other systems. Warnings (what the target format cannot express) go to stderr as YAML comments,
// so stdout stays a clean multi-document stream for `kubectl apply -f -`.
import { stringify } from "yaml";
import { type Conventions, DEFAULT_CONVENTIONS, keys, PRESETS } from "../../api/conventions.ts";
import { isApiError } from "../../api/errors.ts";
import { findKind } from "../../api/kinds.ts";
import type { Provider } from "../../api/provider.ts";
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import type { VMImport } from "../../api/vmimport.ts";
import type { TargetVM } from "../../providers/contract.ts";
import { type CozystackFormat, renderCozystack } from "../../render/cozystack.ts";
import { renderForklift } from "../../render/forklift.ts";
import type { Rendered } from "../../render/manifest.ts";
import { volumesOfLiveKubeVirtVM } from "../../render/vminstance-values.ts";
import { UsageError } from "../args.ts";
import type { LandfallClient } from "../client.ts";
import { fetchInventory } from "./inventory.ts";

export interface RenderOptions {
  namespace?: string;
  format?: string;
  output?: string;
  preset?: string;
  plan?: string;
}

export function conventionsFor(preset: string | undefined): Conventions {
  const name = preset ?? "cozystack";
  const p = PRESETS[name];
  if (!p) throw new UsageError(`--preset ${JSON.stringify(name)} is not known; use ${Object.keys(PRESETS).join(" or ")}`);
  return { ...DEFAULT_CONVENTIONS, ...p };
}

/** Objects as YAML documents (or a JSON List), warnings as `# warning:` lines. */
export function printRendered(rendered: Rendered, output: string | undefined): { stdout: string; stderr: string } {
  const stderr = rendered.warnings.map((w) => `# warning: ${w}\n`).join("");
  const o = output ?? "yaml";
  if (o === "json") return { stdout: `${JSON.stringify({ apiVersion: "v1", kind: "List", items: rendered.objects }, null, 2)}\n`, stderr };
  if (o !== "yaml") throw new UsageError(`-o ${JSON.stringify(o)} is not supported for render; use yaml or json`);
  return { stdout: rendered.objects.map((m) => `---\n${stringify(m)}`).join(""), stderr };
}

/**
 * The live VM behind a VirtualMachine, when its provider can be asked: live facts (CPUs, memory, NICs, run state)
 * win over the spec. Unreachable providers only cost a warning — the spec is enough to render.
 */
async function liveVM(client: LandfallClient, vm: VirtualMachine, ns: string, warnings: string[]): Promise<{ live?: TargetVM; providerType?: string }> {
  const uuid = vm.status?.providerID;
  if (!uuid) return {};
  try {
    const provider = await client.get<Provider>(findKind("provider")!, ns, vm.spec.providerRef.name);
    const list = await fetchInventory(client, vm.spec.providerRef.name, ns);
    if (list.kind !== "TargetVMList") return {};
    const live = (list.items as unknown as TargetVM[]).find((i) => i.uuid === uuid);
    if (!live) warnings.push(`VM ${uuid} is not on provider ${vm.spec.providerRef.name}; values come from the VirtualMachine spec`);
    return { live, providerType: provider.spec.type };
  } catch (err) {
    warnings.push(`live VM not read (${(err as Error).message}); values come from the VirtualMachine spec`);
    return {};
  }
}

export async function renderCozystackCommand(client: LandfallClient, vmName: string, opts: RenderOptions): Promise<{ stdout: string; stderr: string }> {
  const format = (opts.format ?? "vminstance") as CozystackFormat;
  if (format !== "vminstance" && format !== "helmrelease") throw new UsageError(`--format ${JSON.stringify(opts.format)} is not supported; use vminstance or helmrelease`);
  const ns = opts.namespace ?? "default";
  const conventions = conventionsFor(opts.preset);
  const vm = await client.get<VirtualMachine>(findKind("vm")!, ns, vmName);
  const warnings: string[] = [];
  const { live, providerType } = await liveVM(client, vm, ns, warnings);
  const boot = vm.spec.importedDisk;
  const size = vm.status?.diskInfo?.virtualSizeBytes;
  // The plan the VM was adopted for, under whichever prefix the server wrote it.
  const labels = vm.metadata.labels ?? {};
  const recordedPlan = Object.entries(labels).find(([k]) => k.endsWith(keys({ prefix: "" }).originalPlan))?.[1];
  const rendered = renderCozystack(
    {
      vm,
      live,
      conventions,
      namespace: ns,
      plan: opts.plan ?? recordedPlan,
      ...(live && providerType === "kubevirt" ? { existingVolumes: volumesOfLiveKubeVirtVM(live) } : {}),
      ...(boot && typeof size === "number" && size > 0 ? { diskSizes: { [boot.diskID]: size } } : {}),
    },
    format,
  );
  return printRendered({ objects: rendered.objects, warnings: [...warnings, ...rendered.warnings] }, opts.output);
}

export async function renderForkliftCommand(client: LandfallClient, importName: string, opts: RenderOptions): Promise<{ stdout: string; stderr: string }> {
  const ns = opts.namespace ?? "default";
  const vmImport = await client.get<VMImport>(findKind("vmimport")!, ns, importName);
  const sourceName = vmImport.spec.source.providerRef.name;
  const sourceNs = vmImport.spec.source.providerRef.namespace ?? ns;
  const source = await client.get<Provider>(findKind("provider")!, sourceNs, sourceName).catch((err: Error) => {
    throw isApiError(err, "NotFound") ? new Error(`VMImport "${importName}" names source provider "${sourceName}", which does not exist in namespace "${sourceNs}"`) : err;
  });
  return printRendered(renderForklift({ vmImport, source, conventions: conventionsFor(opts.preset) }), opts.output);
}
