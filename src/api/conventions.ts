// Label and annotation keys landfall writes, under a configurable prefix (default landfall.dev; the Cozystack
// preset uses cozystack.io and manager "cozystack"). Every writer and reader of these keys goes through here.

export interface Conventions {
  prefix: string;
  /** Value of app.kubernetes.io/managed-by on adopted VMs. */
  manager: string;
  /** What the adoption ConfigMap's managementEndpoint says (kubectl, or landfall's URL). */
  managementEndpoint: string;
}

export const DEFAULT_CONVENTIONS: Conventions = { prefix: "landfall.dev", manager: "landfall", managementEndpoint: "landfall" };

export const PRESETS: Record<string, Omit<Conventions, "managementEndpoint"> & { managementEndpoint?: string }> = {
  landfall: { prefix: "landfall.dev", manager: "landfall" },
  cozystack: { prefix: "cozystack.io", manager: "cozystack", managementEndpoint: "kubectl" },
};

export const MANAGED_BY = "app.kubernetes.io/managed-by";

/** Keys derived from a prefix. */
export function keys(c: Pick<Conventions, "prefix">) {
  const p = c.prefix;
  return {
    // provenance annotations on a migrated VirtualMachine (seed)
    migratedFrom: `${p}/migrated-from`,
    migration: `${p}/migration`,
    importedDiskID: `${p}/imported-disk-id`,
    diskChecksum: `${p}/disk-checksum`,
    sourceChecksum: `${p}/source-checksum`,
    guest: `${p}/guest`,
    // adoption labels (Cozystack design note)
    adopted: `${p}/adopted`,
    source: `${p}/source`,
    originalPlan: `${p}/original-plan`,
    type: `${p}/type`,
    // set by a VMImport on what it creates
    vmImport: `${p}/vm-import`,
  } as const;
}

/** Name of the adoption tracking ConfigMap for a VM. */
export const adoptionConfigMapName = (vmName: string): string => `vm-adopted-${vmName}`.slice(0, 63).replace(/-+$/, "");

/**
 * A source VM name as a DNS-1123 label: lower-cased, every run of other characters replaced by '-', trimmed to 63
 * (DESIGN.md: `DC0_H0_VM0` → `dc0-h0-vm0`).
 */
export function targetNameFor(sourceName: string): string {
  const name = sourceName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+/, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  return name || "vm";
}
