// Admission checks the composition root registers with the generic server: tenancy (an object may touch only
// namespaces its caller may write and use only Providers open to all of them; that only admins manage Providers is
// decided on the matched route, src/server/access.ts), and disk paths a user writes must lie in the target
// provider's storage (storagePoolPath plus allowedStoragePaths), judged after resolving symlinks — and so must
// every file of an existing image's backing chain (backing-chain.ts), before anything reads it; a storageMap names
// only storage pools its libvirt target Provider declares.
import { ApiError, invalid, type StatusCause } from "../api/errors.ts";
import type { KubeObject, ProviderReference } from "../api/meta.ts";
import type { Provider } from "../api/provider.ts";
import type { VirtualMachine } from "../api/virtualmachine.ts";
import type { VMImage } from "../api/vmimage.ts";
import type { VMImport } from "../api/vmimport.ts";
import type { MapEntry, VMMigration } from "../api/vmmigration.ts";
import { virtualMachineDiskPaths } from "../controllers/adoption/storage.ts";
import { providerKey } from "../controllers/provider/ref.ts";
import { type TenancyRefusal, tenancyClaims } from "../controllers/provider/tenancy.ts";
import { providerTenancyRefusal } from "../controllers/provider/tenancy-lookup.ts";
import { confineImageChain } from "../disk/backing-chain.ts";
import { providerStorageRoots, type StorageRoots } from "../disk/confinement.ts";
import { describePrincipal, mayWriteNamespace } from "../server/access.ts";
import type { Principal } from "../server/auth.ts";
import type { AdmissionCheck } from "../server/types.ts";
import type { ResourceStore } from "../store/types.ts";
import { libvirtStorage, storageMapCauses } from "../api/libvirt-pools.ts";

async function storageRoots(store: ResourceStore, ns: string, providerName: string): Promise<StorageRoots | undefined> {
  const provider = await store.get<Provider>("Provider", ns, providerName).catch(() => undefined);
  if (provider?.spec.type !== "libvirt") return undefined;
  return providerStorageRoots(libvirtStorage(provider.spec), provider.spec);
}

function writtenPaths(obj: KubeObject): Array<{ field: string; path: string; format: string }> {
  if (obj.kind === "VirtualMachine") return virtualMachineDiskPaths(obj as VirtualMachine);
  if (obj.kind === "VMImage") {
    const spec = (obj as VMImage).spec;
    return [{ field: "spec.path", path: spec.path, format: spec.format ?? "qcow2" }];
  }
  return [];
}

const providerRefOf = (obj: KubeObject | undefined): ProviderReference | undefined => (obj?.spec as { providerRef?: ProviderReference } | undefined)?.providerRef;
const refKey = (obj: KubeObject | undefined): string | undefined => {
  const ref = providerRefOf(obj);
  return ref && obj ? `${providerKey(ref, obj.metadata.namespace ?? "default").namespace}/${ref.name}` : undefined;
};

export function storagePathAdmission(store: ResourceStore): AdmissionCheck {
  return async (_op, obj, old) => {
    const paths = writtenPaths(obj);
    if (paths.length === 0) return;
    const ref = providerRefOf(obj);
    if (!ref) return;
    // Unchanged paths of an existing object were admitted before (adopted VMs may predate the allow-list) —
    // but only against the same Provider: moving a VM to another Provider re-judges every path.
    const sameProvider = refKey(old) === refKey(obj);
    const before = new Set(old && sameProvider ? writtenPaths(old).map((p) => `${p.field}=${p.path}=${p.format}`) : []);
    const changed = paths.filter((p) => !before.has(`${p.field}=${p.path}=${p.format}`));
    if (changed.length === 0) return;
    const storage = await storageRoots(store, providerKey(ref, obj.metadata.namespace ?? "default").namespace, ref.name);
    if (!storage) return;
    const causes: StatusCause[] = [];
    for (const p of changed) {
      const verdict = await confineImageChain(p.field, p.path, p.format, storage).catch((err: Error) => ({ ok: false, message: `${p.field} "${p.path}": ${err.message}` }));
      if (!verdict.ok) causes.push({ field: p.field, reason: "FieldValueForbidden", message: verdict.message as string });
    }
    if (causes.length > 0) throw invalid(obj.kind, obj.metadata.name, causes);
  };
}

/** The storageMap of a VMMigration or VMImport, its field, and the target Provider it places disks with. */
function storageMapOf(obj: KubeObject): { field: string; map: MapEntry[] | undefined; ref: ProviderReference } | undefined {
  if (obj.kind === "VMMigration") {
    const target = (obj as VMMigration).spec.target;
    return { field: "spec.target.storageMap", map: target.storageMap, ref: target.providerRef };
  }
  if (obj.kind === "VMImport") {
    const spec = (obj as VMImport).spec;
    return { field: "spec.storageMap", map: spec.storageMap, ref: spec.target.providerRef };
  }
  return undefined;
}

/** A storageMap may only name pools its libvirt target Provider declares (422 naming the entry and the pools allowed). */
export function storageMapAdmission(store: ResourceStore): AdmissionCheck {
  return async (_op, obj) => {
    const placed = storageMapOf(obj);
    if (!placed?.map?.length) return;
    const key = providerKey(placed.ref, obj.metadata.namespace ?? "default");
    const provider = await store.get<Provider>("Provider", key.namespace, key.name).catch(() => undefined);
    // An absent Provider is the migration's to report; only libvirt Providers declare pools.
    if (provider?.spec.type !== "libvirt") return;
    const causes = storageMapCauses(placed.field, placed.map, provider.spec, key.name);
    if (causes.length > 0) throw invalid(obj.kind, obj.metadata.name, causes);
  };
}

const forbidden = (obj: KubeObject, r: TenancyRefusal): ApiError =>
  new ApiError("Forbidden", `${obj.kind} "${obj.metadata.namespace ?? "default"}/${obj.metadata.name}": ${r.message}`, {
    kind: obj.kind,
    name: obj.metadata.name,
    causes: [{ field: r.field, reason: "FieldValueForbidden", message: r.message }],
  });

/** Judges every create and update by the caller: namespaces it may write, and Providers open to all of them. */
export function tenancyAdmission(store: ResourceStore): AdmissionCheck {
  return async (_op, obj, _old, caller) => {
    const claims = tenancyClaims(obj);
    if (!claims) return;
    const refusal = callerRefusal(caller, claims.namespaces) ?? (await providerTenancyRefusal(store, obj, claims));
    if (refusal) throw forbidden(obj, refusal);
  };
}

function callerRefusal(caller: Principal, namespaces: Array<{ field: string; namespace: string }>): TenancyRefusal | undefined {
  const denied = namespaces.find((n) => !mayWriteNamespace(caller, n.namespace));
  if (!denied) return undefined;
  return { field: denied.field, message: `${denied.field} "${denied.namespace}": ${describePrincipal(caller)} may not write in namespace "${denied.namespace}"; use a namespace it may write, or a token that includes "${denied.namespace}"` };
}
