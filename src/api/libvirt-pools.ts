// The storage pools a libvirt Provider declares, pure (beside libvirt-uri.ts, the other libvirt spec rule): its default pool (spec.storagePool/storagePoolPath, or
// landfall's defaults) first, then spec.storagePools[] — the pools a storageMap may name. Which pool a disk lands
// in is decided from its datastore by poolForDatastore (controllers/vmmigration/plan.ts); confinement roots are
// these pools' directories (disk/confinement.ts providerStorageRoots).
import type { StatusCause } from "./errors.ts";
import type { ProviderSpec } from "./provider.ts";

export const DEFAULT_POOL = "landfall";
export const DEFAULT_POOL_PATH = "/var/lib/landfall/images";

export interface StoragePool {
  name: string;
  path: string;
}

/** The default pool of a libvirt Provider: its spec, or the defaults. */
export function libvirtStorage(spec: Pick<ProviderSpec, "storagePool" | "storagePoolPath">): { pool: string; path: string } {
  return { pool: spec.storagePool ?? DEFAULT_POOL, path: spec.storagePoolPath ?? DEFAULT_POOL_PATH };
}

/** Every pool the Provider declares, the default first. */
export function libvirtPools(spec: Pick<ProviderSpec, "storagePool" | "storagePoolPath" | "storagePools">): StoragePool[] {
  const { pool, path } = libvirtStorage(spec);
  return [{ name: pool, path }, ...(spec.storagePools ?? [])];
}

/** Two pools with one name, or one directory for two pools: each pool must be itself. */
export function storagePoolsCauses(spec: Pick<ProviderSpec, "storagePool" | "storagePoolPath" | "storagePools">): StatusCause[] {
  const causes: StatusCause[] = [];
  const pools = libvirtPools(spec);
  (spec.storagePools ?? []).forEach((pool, i) => {
    const field = `spec.storagePools[${i}]`;
    const sameName = pools.findIndex((p) => p.name === pool.name);
    if (sameName !== i + 1) {
      const other = sameName === 0 ? "the default pool (spec.storagePool)" : `spec.storagePools[${sameName - 1}]`;
      causes.push({ field: `${field}.name`, reason: "FieldValueDuplicate", message: `${field}.name "${pool.name}" is also the name of ${other}; give each pool its own name` });
    }
    const samePath = pools.findIndex((p) => p.path.replace(/\/+$/, "") === pool.path.replace(/\/+$/, ""));
    if (samePath !== i + 1) {
      const other = samePath === 0 ? "the default pool (spec.storagePoolPath)" : `spec.storagePools[${samePath - 1}]`;
      causes.push({ field: `${field}.path`, reason: "FieldValueDuplicate", message: `${field}.path "${pool.path}" is also the directory of ${other}; give each pool its own directory` });
    }
  });
  return causes;
}

/** storageMap entries whose target is not a pool the Provider declares, each naming the field and the allowed pools. */
export function storageMapCauses(field: string, map: ReadonlyArray<{ source: string; target: string }> | undefined, spec: ProviderSpec, providerName: string): StatusCause[] {
  const names = libvirtPools(spec).map((p) => p.name);
  return (map ?? []).flatMap((entry, i) =>
    names.includes(entry.target)
      ? []
      : [
          {
            field: `${field}[${i}].target`,
            reason: "FieldValueNotSupported",
            message: `${field}[${i}].target "${entry.target}" is not a storage pool of Provider "${providerName}"; use one of ${names.map((n) => `"${n}"`).join(", ")} or add it to the Provider's spec.storagePools`,
          },
        ],
  );
}
