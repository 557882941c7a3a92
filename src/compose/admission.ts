// Admission checks the composition root registers with the generic server: tenancy (only admins manage Providers;
// an object may touch only namespaces its caller may write and use only Providers open to all of them), and disk
// paths a user writes must lie in the target provider's storage (storagePoolPath plus allowedStoragePaths), judged
// after resolving symlinks.
import { ApiError, invalid, type StatusCause } from "../api/errors.ts";
import type { KubeObject } from "../api/meta.ts";
import type { Provider } from "../api/provider.ts";
import type { VirtualMachine } from "../api/virtualmachine.ts";
import type { VMImage } from "../api/vmimage.ts";
import { type TenancyRefusal, tenancyClaims } from "../controllers/provider/tenancy.ts";
import { providerTenancyRefusal } from "../controllers/provider/tenancy-lookup.ts";
import { resolveConfined } from "../controllers/virtualmachine/storage-paths.ts";
import { describePrincipal, isAdmin, mayWriteNamespace } from "../server/access.ts";
import type { Principal } from "../server/auth.ts";
import type { AdmissionCheck, DeleteHook } from "../server/types.ts";
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
    const providerName = (obj.spec as { providerRef?: { name: string } }).providerRef?.name;
    if (!providerName) return;
    // Unchanged paths of an existing object were admitted before (adopted VMs may predate the allow-list) —
    // but only against the same Provider: moving a VM to another Provider re-judges every path.
    const sameProvider = (old?.spec as { providerRef?: { name: string } } | undefined)?.providerRef?.name === providerName;
    const before = new Set(old && sameProvider ? writtenPaths(old).map((p) => `${p.field}=${p.path}`) : []);
    const changed = paths.filter((p) => !before.has(`${p.field}=${p.path}`));
    if (changed.length === 0) return;
    const storage = await storageRoots(store, obj.metadata.namespace ?? "default", providerName);
    if (!storage) return;
    const causes: StatusCause[] = [];
    for (const p of changed) {
      const verdict = await resolveConfined(p.field, p.path, storage.roots, storage.pool);
      if (!verdict.ok) causes.push({ field: p.field, reason: "FieldValueForbidden", message: verdict.message as string });
    }
    if (causes.length > 0) throw invalid(obj.kind, obj.metadata.name, causes);
  };
}

const forbidden = (obj: KubeObject, r: TenancyRefusal): ApiError =>
  new ApiError("Forbidden", `${obj.kind} "${obj.metadata.namespace ?? "default"}/${obj.metadata.name}": ${r.message}`, {
    kind: obj.kind,
    name: obj.metadata.name,
    causes: [{ field: r.field, reason: "FieldValueForbidden", message: r.message }],
  });

/** Judges every create and update by the caller: namespaces it may write, Providers open to them, admins for Providers. */
export function tenancyAdmission(store: ResourceStore): AdmissionCheck {
  return async (_op, obj, _old, caller) => {
    if (obj.kind === "Provider") {
      if (isAdmin(caller)) return;
      throw forbidden(obj, { field: "kind", message: `${describePrincipal(caller)} may not create or update Providers; only an admin token may` });
    }
    const claims = tenancyClaims(obj);
    if (!claims) return;
    const refusal = callerRefusal(caller, claims.namespaces) ?? (await providerTenancyRefusal(store, obj, claims));
    if (refusal) throw forbidden(obj, refusal);
  };
}

/** Deleting a Provider is managing it too: admins only (a tenant must not remove a Provider others rely on). */
export const providerDeleteHook: DeleteHook = async (obj, request) => {
  if (request.principal && isAdmin(request.principal)) return;
  const who = request.principal ? describePrincipal(request.principal) : "an unauthenticated caller";
  throw forbidden(obj, { field: "kind", message: `${who} may not delete Providers; only an admin token may` });
};

function callerRefusal(caller: Principal, namespaces: Array<{ field: string; namespace: string }>): TenancyRefusal | undefined {
  const denied = namespaces.find((n) => !mayWriteNamespace(caller, n.namespace));
  if (!denied) return undefined;
  return { field: denied.field, message: `${denied.field} "${denied.namespace}": ${describePrincipal(caller)} may not write in namespace "${denied.namespace}"; use a namespace it may write, or a token that includes "${denied.namespace}"` };
}
