// `inventory PROVIDER`: what a provider sees right now — source VMs (vSphere) or target domains (libvirt,
// KubeVirt). `-o json` prints the server's list as returned; tables summarise disks and management.
import { stringify } from "yaml";
import { isApiError } from "../../api/errors.ts";
import { findKind } from "../../api/kinds.ts";
import { type OutputFormat, UsageError } from "../args.ts";
import { type LandfallClient, resourcePath } from "../client.ts";
import { renderTable } from "../printers.ts";
import { formatBytes } from "../progress.ts";

export interface SourceVMItem {
  name: string;
  id: string;
  uuid?: string;
  powerState?: string;
  guestOS?: string;
  cpus?: number;
  memoryMiB?: number;
  firmware?: string;
  disks?: Array<{
    capacityBytes?: number;
    fileName?: string;
    datastore?: string;
    chain?: Array<{ file?: string; format?: string }>;
    readableBy?: string[];
  }>;
  nics?: Array<{ network?: string; macAddress?: string }>;
  snapshotCount?: number;
}

export interface TargetVMItem {
  uuid: string;
  name: string;
  state?: string;
  cpus?: number;
  memoryMiB?: number;
  firmware?: string;
  disks?: Array<{ path?: string; format?: string; bus?: string }>;
  nics?: unknown[];
  labels?: Record<string, string>;
}

export type InventoryList = { kind: "SourceVMList"; items: SourceVMItem[] } | { kind: "TargetVMList"; items: TargetVMItem[] };

/** The label the VirtualMachine controller puts on domains it created or adopted. */
export const OWNER_UID_LABEL = "landfall.dev/owner-uid";

const memory = (mib: number | undefined) => (typeof mib === "number" ? `${mib}Mi` : "-");
const count = (n: number | undefined) => (typeof n === "number" ? String(n) : "-");

/** "2 (12.0GiB)": how many disks and their total capacity. */
export function diskSummary(disks: SourceVMItem["disks"]): string {
  const list = disks ?? [];
  const total = list.reduce((sum, d) => sum + (typeof d.capacityBytes === "number" ? d.capacityBytes : 0), 0);
  return `${list.length} (${formatBytes(total)})`;
}

/**
 * Per disk its base format and the deltas above it ("flat", "flat+2 redoLog"), disks separated by ", ";
 * "-" when the provider does not report chains.
 */
export function diskFormats(disks: SourceVMItem["disks"]): string {
  const list = disks ?? [];
  if (!list.some((d) => d.chain?.length)) return "-";
  return list
    .map((d) => {
      const chain = d.chain ?? [];
      const base = chain[chain.length - 1]?.format ?? "?";
      return chain.length > 1 ? `${base}+${chain.length - 1} ${chain[0].format ?? "?"}` : base;
    })
    .join(", ");
}

/** Per disk the transports that can read it ("datastore+nfc"), or "none". */
export function diskTransports(disks: SourceVMItem["disks"]): string {
  const list = disks ?? [];
  if (!list.some((d) => d.readableBy)) return "-";
  return list.map((d) => (d.readableBy?.length ? d.readableBy.join("+") : "none")).join(", ");
}

export function inventoryTable(list: InventoryList, wide = false): string {
  if (list.kind === "SourceVMList") {
    return renderTable([
      ["NAME", "ID", "POWER", "CPUS", "MEMORY", "DISKS", "NICS", "GUEST", "SNAPSHOTS", "DISK FORMATS", "READ BY", ...(wide ? ["UUID", "FIRMWARE"] : [])],
      ...list.items.map((v) => [
        v.name,
        v.id ?? "-",
        v.powerState ?? "-",
        count(v.cpus),
        memory(v.memoryMiB),
        diskSummary(v.disks),
        String((v.nics ?? []).length),
        v.guestOS || "-",
        count(v.snapshotCount),
        diskFormats(v.disks),
        diskTransports(v.disks),
        ...(wide ? [v.uuid ?? "-", v.firmware ?? "-"] : []),
      ]),
    ]);
  }
  return renderTable([
    ["NAME", "UUID", "STATE", "CPUS", "MEMORY", "DISKS", "MANAGED", ...(wide ? ["FIRMWARE", "VIRTUALMACHINE"] : [])],
    ...list.items.map((v) => {
      const labels = v.labels ?? {};
      const managed = labels[OWNER_UID_LABEL] !== undefined;
      const owner = labels["landfall.dev/name"] ? `${labels["landfall.dev/namespace"] ?? "default"}/${labels["landfall.dev/name"]}` : "-";
      return [
        v.name,
        v.uuid,
        v.state ?? "-",
        count(v.cpus),
        memory(v.memoryMiB),
        String((v.disks ?? []).length),
        managed ? "true" : "false",
        ...(wide ? [v.firmware ?? "-", owner] : []),
      ];
    }),
  ]);
}

export async function fetchInventory(client: LandfallClient, provider: string, namespace: string): Promise<InventoryList> {
  const providers = findKind("provider")!;
  try {
    return await client.request<InventoryList>("GET", resourcePath(providers, namespace, provider, "vms"));
  } catch (err) {
    if (isApiError(err, "NotFound")) {
      throw new Error(`provider "${provider}" not found in namespace "${namespace}"; list providers with 'landfall get providers -n ${namespace}'`);
    }
    throw err;
  }
}

export async function inventoryCommand(client: LandfallClient, provider: string, opts: { namespace?: string; output: OutputFormat }): Promise<{ stdout: string; stderr: string }> {
  if (!provider || provider.includes("/")) throw new UsageError(`inventory needs a provider name (got "${provider}"): landfall inventory PROVIDER`);
  const ns = opts.namespace ?? "default";
  const list = await fetchInventory(client, provider, ns);
  switch (opts.output) {
    case "json":
      return { stdout: `${JSON.stringify(list, null, 2)}\n`, stderr: "" };
    case "yaml":
      return { stdout: stringify(list), stderr: "" };
    case "name":
      return { stdout: list.items.map((v) => `${v.name}\n`).join(""), stderr: "" };
    default:
      if (list.items.length === 0) return { stdout: "", stderr: `provider ${provider} reports no VMs\n` };
      return { stdout: inventoryTable(list, opts.output === "wide"), stderr: "" };
  }
}
