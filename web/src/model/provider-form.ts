// The "Add provider" form's values turned into the objects the API stores: the Secret holding the credentials
// (written once, never read back by the dashboard) and the Provider that references it.
import type { Provider } from "../api/generated.ts";

export interface ProviderFormValues {
  namespace: string;
  name: string;
  type: "vsphere" | "libvirt";
  /** vsphere: the SDK URL. */
  endpoint: string;
  /** libvirt: the connection URI. */
  uri: string;
  username: string;
  password: string;
  /** vsphere: skip certificate verification (the Provider reports InsecureTLS). */
  insecureSkipVerify: boolean;
  /** vsphere: pin the server's SHA-256 fingerprint. */
  thumbprint: string;
  transport: "" | "datastore" | "nfc" | "auto";
  /** libvirt: storage pool and its directory. */
  storagePool: string;
  storagePoolPath: string;
  /** Namespaces that may use the provider, separated by commas or spaces (empty: every namespace). */
  tenants: string;
}

export const emptyProviderForm = (namespace: string): ProviderFormValues => ({
  namespace,
  name: "",
  type: "vsphere",
  endpoint: "",
  uri: "qemu:///system",
  username: "",
  password: "",
  insecureSkipVerify: false,
  thumbprint: "",
  transport: "",
  storagePool: "",
  storagePoolPath: "",
  tenants: "",
});

/** Form field id → the API paths it edits, for sorting the server's field errors (field-errors.ts). */
export const PROVIDER_FORM_FIELDS = {
  name: ["metadata.name"],
  endpoint: ["spec.endpoint"],
  uri: ["spec.uri"],
  thumbprint: ["spec.tls"],
  transport: ["spec.transport"],
  storagePool: ["spec.storagePool"],
  storagePoolPath: ["spec.storagePoolPath"],
  tenants: ["spec.tenants"],
  username: ["stringData.username"],
  password: ["stringData.password"],
} as const;

export const secretNameFor = (providerName: string): string => `${providerName}-credentials`;

export interface ProviderObjects {
  /** Absent when the provider needs no credentials (libvirt without a username). */
  secret?: { apiVersion: string; kind: "Secret"; metadata: { name: string; namespace: string }; stringData: Record<string, string> };
  provider: Provider;
}

export function providerObjects(v: ProviderFormValues): ProviderObjects {
  const name = v.name.trim();
  const withCredentials = v.type === "vsphere" || v.username.trim() !== "";
  const secret = withCredentials
    ? { apiVersion: "landfall.dev/v1beta1", kind: "Secret" as const, metadata: { name: secretNameFor(name), namespace: v.namespace }, stringData: { username: v.username.trim(), password: v.password } }
    : undefined;
  const spec: Provider["spec"] =
    v.type === "vsphere"
      ? {
          type: "vsphere",
          endpoint: v.endpoint.trim(),
          ...(v.insecureSkipVerify || v.thumbprint.trim() ? { tls: { ...(v.insecureSkipVerify ? { insecureSkipVerify: true } : {}), ...(v.thumbprint.trim() ? { thumbprint: v.thumbprint.trim() } : {}) } } : {}),
          ...(v.transport ? { transport: v.transport } : {}),
        }
      : {
          type: "libvirt",
          uri: v.uri.trim(),
          ...(v.storagePool.trim() ? { storagePool: v.storagePool.trim() } : {}),
          ...(v.storagePoolPath.trim() ? { storagePoolPath: v.storagePoolPath.trim() } : {}),
        };
  if (secret) spec.credentialsRef = { name: secret.metadata.name };
  const tenants = tenantList(v.tenants);
  if (tenants.length > 0) spec.tenants = tenants;
  return { secret, provider: { apiVersion: "landfall.dev/v1beta1", kind: "Provider", metadata: { name, namespace: v.namespace }, spec } as Provider };
}

/** The merge patch that trusts the thumbprint a server presented (and stops skipping verification). */
export const trustThumbprintPatch = (thumbprint: string) => ({ spec: { tls: { thumbprint, insecureSkipVerify: null } } });

const tenantList = (text: string): string[] => text.split(/[\s,]+/).filter((t) => t !== "");

/** The edit form's starting values: the Provider's spec; credentials blank (they are never read back). */
export function providerFormFromProvider(p: Provider): ProviderFormValues {
  const s = p.spec;
  return {
    ...emptyProviderForm(p.metadata.namespace ?? "default"),
    name: p.metadata.name,
    type: s.type === "libvirt" ? "libvirt" : "vsphere",
    endpoint: s.endpoint ?? "",
    uri: s.uri ?? "",
    insecureSkipVerify: s.tls?.insecureSkipVerify === true,
    thumbprint: s.tls?.thumbprint ?? "",
    transport: s.transport ?? "",
    storagePool: s.storagePool ?? "",
    storagePoolPath: s.storagePoolPath ?? "",
    tenants: (s.tenants ?? []).join(", "),
  };
}

export interface ProviderEdit {
  /**
   * The Provider's merge patch: the form's fields set, cleared ones null. Not pinned to a revision: the
   * controller rewrites status all the time, and the patch touches only what the form shows.
   */
  providerPatch: { spec: Record<string, unknown> };
  /** New credentials: a merge patch of the referenced Secret, or a new Secret when the Provider had none. */
  secret?: { patch: { name: string; stringData: Record<string, string> } } | { create: NonNullable<ProviderObjects["secret"]> };
}

/**
 * What saving the edit form writes. Blank credentials keep the stored ones (the form never shows them); a
 * filled username or password replaces just that value. Fields the form does not show stay as they are.
 */
export function providerEdit(existing: Provider, v: ProviderFormValues): ProviderEdit {
  const orNull = (x: string) => (x.trim() === "" ? null : x.trim());
  const tls = { thumbprint: orNull(v.thumbprint), insecureSkipVerify: v.insecureSkipVerify ? true : null };
  const spec: Record<string, unknown> =
    existing.spec.type === "vsphere"
      ? { endpoint: v.endpoint.trim(), tls: tls.thumbprint === null && tls.insecureSkipVerify === null ? null : tls, transport: v.transport || null }
      : { uri: v.uri.trim(), storagePool: orNull(v.storagePool), storagePoolPath: orNull(v.storagePoolPath) };
  const tenants = tenantList(v.tenants);
  spec.tenants = tenants.length > 0 ? tenants : null;
  const stringData: Record<string, string> = {
    ...(v.username.trim() !== "" ? { username: v.username.trim() } : {}),
    ...(v.password !== "" ? { password: v.password } : {}),
  };
  const providerPatch = { spec };
  if (Object.keys(stringData).length === 0) return { providerPatch };
  const ref = existing.spec.credentialsRef?.name;
  if (ref) return { providerPatch, secret: { patch: { name: ref, stringData } } };
  const name = secretNameFor(existing.metadata.name);
  spec.credentialsRef = { name };
  return {
    providerPatch,
    secret: { create: { apiVersion: "landfall.dev/v1beta1", kind: "Secret", metadata: { name, namespace: existing.metadata.namespace ?? "default" }, stringData } },
  };
}
