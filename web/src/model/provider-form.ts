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
  return { secret, provider: { apiVersion: "landfall.dev/v1beta1", kind: "Provider", metadata: { name, namespace: v.namespace }, spec } as Provider };
}

/** The merge patch that trusts the thumbprint a server presented (and stops skipping verification). */
export const trustThumbprintPatch = (thumbprint: string) => ({ spec: { tls: { thumbprint, insecureSkipVerify: null } } });
