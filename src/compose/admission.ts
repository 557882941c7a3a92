// Admission checks the composition root registers with the generic server: disk paths a user writes must lie
// in the target provider's storage (storagePoolPath plus allowedStoragePaths), judged after resolving symlinks,
// and so must every file of an existing image's backing chain (backing-chain.ts) — before anything reads it.
import { invalid, type StatusCause } from "../api/errors.ts";
import type { KubeObject } from "../api/meta.ts";
import type { Provider } from "../api/provider.ts";
import type { VirtualMachine } from "../api/virtualmachine.ts";
import type { VMImage } from "../api/vmimage.ts";
import { virtualMachineDiskPaths } from "../controllers/adoption/storage.ts";
import { confineImageChain } from "../disk/backing-chain.ts";
import { providerStorageRoots, type StorageRoots } from "../disk/confinement.ts";
import type { AdmissionCheck } from "../server/types.ts";
import type { ResourceStore } from "../store/types.ts";
import { libvirtStorage } from "./providers.ts";

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

export function storagePathAdmission(store: ResourceStore): AdmissionCheck {
  return async (_op, obj, old) => {
    const paths = writtenPaths(obj);
    if (paths.length === 0) return;
    const providerName = (obj.spec as { providerRef?: { name: string } }).providerRef?.name;
    if (!providerName) return;
    // Unchanged paths of an existing object were admitted before (adopted VMs may predate the allow-list) —
    // but only against the same Provider: moving a VM to another Provider re-judges every path.
    const sameProvider = (old?.spec as { providerRef?: { name: string } } | undefined)?.providerRef?.name === providerName;
    const before = new Set(old && sameProvider ? writtenPaths(old).map((p) => `${p.field}=${p.path}=${p.format}`) : []);
    const changed = paths.filter((p) => !before.has(`${p.field}=${p.path}=${p.format}`));
    if (changed.length === 0) return;
    const storage = await storageRoots(store, obj.metadata.namespace ?? "default", providerName);
    if (!storage) return;
    const causes: StatusCause[] = [];
    for (const p of changed) {
      const verdict = await confineImageChain(p.field, p.path, p.format, storage).catch((err: Error) => ({ ok: false, message: `${p.field} "${p.path}": ${err.message}` }));
      if (!verdict.ok) causes.push({ field: p.field, reason: "FieldValueForbidden", message: verdict.message as string });
    }
    if (causes.length > 0) throw invalid(obj.kind, obj.metadata.name, causes);
  };
}
