// Admission checks the composition root registers with the generic server: disk paths a user writes must lie
// in the target provider's storage (storagePoolPath plus allowedStoragePaths), judged after resolving symlinks.
import { providerKey } from "../controllers/provider/ref.ts";
import { invalid, type StatusCause } from "../api/errors.ts";
import type { KubeObject, ProviderReference } from "../api/meta.ts";
import type { Provider } from "../api/provider.ts";
import type { VirtualMachine } from "../api/virtualmachine.ts";
import type { VMImage } from "../api/vmimage.ts";
import { resolveConfined } from "../controllers/virtualmachine/storage-paths.ts";
import type { AdmissionCheck } from "../server/types.ts";
import type { ResourceStore } from "../store/types.ts";
import { libvirtStorage } from "./providers.ts";

async function storageRoots(store: ResourceStore, ns: string, providerName: string): Promise<{ roots: string[]; pool: string } | undefined> {
  const provider = await store.get<Provider>("Provider", ns, providerName).catch(() => undefined);
  if (provider?.spec.type !== "libvirt") return undefined;
  const { pool, path } = libvirtStorage(provider.spec);
  return { roots: [path, ...(provider.spec.allowedStoragePaths ?? [])], pool };
}

function writtenPaths(obj: KubeObject): Array<{ field: string; path: string }> {
  if (obj.kind === "VirtualMachine") {
    const spec = (obj as VirtualMachine).spec;
    const out: Array<{ field: string; path: string }> = [];
    if (spec?.importedDisk?.path) out.push({ field: "spec.importedDisk.path", path: spec.importedDisk.path });
    for (const [i, d] of (spec?.dataDisks ?? []).entries()) if (d.path) out.push({ field: `spec.dataDisks[${i}].path`, path: d.path });
    return out;
  }
  if (obj.kind === "VMImage") return [{ field: "spec.path", path: (obj as VMImage).spec.path }];
  return [];
}

export function storagePathAdmission(store: ResourceStore): AdmissionCheck {
  return async (_op, obj, old) => {
    const paths = writtenPaths(obj);
    if (paths.length === 0) return;
    const ref = (obj.spec as { providerRef?: ProviderReference }).providerRef;
    if (!ref) return;
    const provider = providerKey(ref, obj.metadata.namespace ?? "default");
    // Unchanged paths of an existing object were admitted before (adopted VMs may predate the allow-list) —
    // but only against the same Provider: moving a VM to another Provider re-judges every path.
    const oldRef = (old?.spec as { providerRef?: ProviderReference } | undefined)?.providerRef;
    const oldProvider = oldRef && providerKey(oldRef, old?.metadata.namespace ?? "default");
    const sameProvider = oldProvider?.name === provider.name && oldProvider.namespace === provider.namespace;
    const before = new Set(old && sameProvider ? writtenPaths(old).map((p) => `${p.field}=${p.path}`) : []);
    const changed = paths.filter((p) => !before.has(`${p.field}=${p.path}`));
    if (changed.length === 0) return;
    const storage = await storageRoots(store, provider.namespace, provider.name);
    if (!storage) return;
    const causes: StatusCause[] = [];
    for (const p of changed) {
      const verdict = await resolveConfined(p.field, p.path, storage.roots, storage.pool);
      if (!verdict.ok) causes.push({ field: p.field, reason: "FieldValueForbidden", message: verdict.message as string });
    }
    if (causes.length > 0) throw invalid(obj.kind, obj.metadata.name, causes);
  };
}
