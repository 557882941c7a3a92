// The kinds landfall serves: names the CLI and URLs accept, and each kind's schema.
import type { TSchema } from "@sinclair/typebox";
import { ConfigMapSchema } from "./configmap.ts";
import { ProviderSchema } from "./provider.ts";
import { SecretSchema } from "./secret.ts";
import { VirtualMachineSchema } from "./virtualmachine.ts";
import { VMActionSchema } from "./vmaction.ts";
import { VMImageSchema } from "./vmimage.ts";
import { VMImportSchema } from "./vmimport.ts";
import { VMMigrationSchema } from "./vmmigration.ts";

export interface KindInfo {
  kind: string;
  plural: string;
  singular: string;
  /** What the CRDs declare (never KubeVirt's `vm`/`vms`); the embedded server also accepts `aliases`. */
  shortNames: string[];
  /** Further short names only the embedded server and the CLI accept (landfall's historic ones). */
  aliases: string[];
  /** Secret and ConfigMap have no status (core/v1 shapes); every other kind has status.conditions. */
  hasStatus: boolean;
  /** Also served at /api/v1 (Kubernetes core kinds). */
  core: boolean;
  schema: TSchema;
}

export const KINDS: readonly KindInfo[] = [
  { kind: "Secret", plural: "secrets", singular: "secret", shortNames: [], aliases: ["secret"], hasStatus: false, core: true, schema: SecretSchema },
  { kind: "ConfigMap", plural: "configmaps", singular: "configmap", shortNames: ["cm"], aliases: [], hasStatus: false, core: true, schema: ConfigMapSchema },
  { kind: "Provider", plural: "providers", singular: "provider", shortNames: ["lfprov"], aliases: ["prov"], hasStatus: true, core: false, schema: ProviderSchema },
  { kind: "VMImage", plural: "vmimages", singular: "vmimage", shortNames: ["lfvmimg"], aliases: ["vmimg"], hasStatus: true, core: false, schema: VMImageSchema },
  { kind: "VirtualMachine", plural: "virtualmachines", singular: "virtualmachine", shortNames: ["lfvm"], aliases: ["vm", "vms"], hasStatus: true, core: false, schema: VirtualMachineSchema },
  { kind: "VMMigration", plural: "vmmigrations", singular: "vmmigration", shortNames: ["lfvmm"], aliases: ["vmm"], hasStatus: true, core: false, schema: VMMigrationSchema },
  { kind: "VMAction", plural: "vmactions", singular: "vmaction", shortNames: ["lfvma"], aliases: ["vma"], hasStatus: true, core: false, schema: VMActionSchema },
  { kind: "VMImport", plural: "vmimports", singular: "vmimport", shortNames: ["lfvmimp"], aliases: ["vmimp"], hasStatus: true, core: false, schema: VMImportSchema },
];

/** Resolves a kind from any of its names (kind, plural, singular, short name), case-insensitively. */
export function findKind(name: string): KindInfo | undefined {
  const n = name.toLowerCase();
  return KINDS.find((k) => k.kind.toLowerCase() === n || k.plural === n || k.singular === n || k.shortNames.includes(n) || k.aliases.includes(n));
}

export function kindByPlural(plural: string): KindInfo | undefined {
  return KINDS.find((k) => k.plural === plural);
}

/** Every short name the embedded server advertises: the CRDs' and landfall's own aliases. */
export const servedShortNames = (k: KindInfo): string[] => [...k.shortNames, ...k.aliases];

export const knownKindNames = (): string => KINDS.map((k) => `${k.singular} (${[k.plural, ...k.shortNames, ...k.aliases].join(", ")})`).join("; ");
