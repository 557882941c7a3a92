// `landfall clone vm SRC NEW`: a new VirtualMachine whose disks are full copies of a stopped source VM's disks,
// recorded as importedDisk{source: clone} with provenance. The source is only read.
import { randomBytes } from "node:crypto";
import { type Conventions, keys } from "../../api/conventions.ts";
import { ApiError } from "../../api/errors.ts";
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import { confineImageChain } from "../../disk/backing-chain.ts";
import { providerStorageRoots } from "../../disk/confinement.ts";
import type { ResourceStore } from "../../store/types.ts";
import type { ProviderClients } from "../provider/clients.ts";
import { providerTenancyRefusal } from "../provider/tenancy-lookup.ts";

export async function cloneVirtualMachine(
  deps: { store: ResourceStore; clients: ProviderClients; conventions: Conventions },
  namespace: string,
  sourceName: string,
  newName: string,
  powerOn: boolean,
): Promise<VirtualMachine> {
  const src = await deps.store.get<VirtualMachine>("VirtualMachine", namespace, sourceName);
  // Copying disks uses the Provider: only while it is open to this namespace (its tenants may have changed).
  const refused = await providerTenancyRefusal(deps.store, src);
  if (refused) throw new ApiError("Forbidden", `cannot clone VirtualMachine "${namespace}/${sourceName}": ${refused.message}`);
  const exists = await deps.store.get("VirtualMachine", namespace, newName).then(() => true, () => false);
  if (exists) throw new ApiError("AlreadyExists", `VirtualMachine "${newName}" already exists; choose another name for the clone`);
  const uuid = src.status?.providerID;
  if (!uuid) throw new ApiError("Conflict", `VirtualMachine "${sourceName}" has no domain yet; wait until it is Running or Stopped`);
  const { provider, client: target } = await deps.clients.targetByRef(src.spec.providerRef, namespace);
  const live = await target.getVM({ uuid });
  if (!live) throw new ApiError("Conflict", `the domain of VirtualMachine "${sourceName}" (${uuid}) is missing`);
  if (live.state !== "shutoff") {
    throw new ApiError("Conflict", `VirtualMachine "${sourceName}" is ${live.state}; stop it first ('landfall stop vm ${sourceName}') so the copy is consistent`);
  }
  const disks = live.disks.filter((d) => !d.readonly);
  if (disks.length === 0) throw new ApiError("Conflict", `VirtualMachine "${sourceName}" has no disks to clone`);
  // A copy reads the whole chain of every disk: each file of it must lie in the provider's storage first.
  const storage = await target.ensureStorage();
  const roots = providerStorageRoots(storage, provider.spec);
  for (const [i, d] of disks.entries()) {
    const chain = await confineImageChain(`disk ${i} of VirtualMachine "${sourceName}"`, d.path, d.format, roots);
    if (!chain.ok) throw new ApiError("Forbidden", `clone of "${sourceName}" refused: ${chain.message}`);
  }
  const suffix = randomBytes(2).toString("hex");
  const copies = [];
  for (const [i, d] of disks.entries()) {
    copies.push(await target.importDisk({ diskID: `${newName}-disk${i}-${suffix}`, sourcePath: d.path, sourceFormat: d.format, format: d.format }));
  }
  const [boot, ...data] = copies;
  const k = keys(deps.conventions);
  const spec = structuredClone(src.spec);
  delete spec.imageRef;
  delete spec.uuid;
  spec.importedDisk = { diskID: boot.diskID, path: boot.path, format: boot.format as "qcow2", source: "clone" };
  if (data.length > 0) spec.dataDisks = data.map((d) => ({ diskID: d.diskID, path: d.path, format: d.format as "qcow2" }));
  else delete spec.dataDisks;
  // A clone is a new machine: new MACs (libvirt assigns them), new UUID.
  spec.networks = spec.networks?.map(({ macAddress: _mac, ...n }) => n);
  spec.powerState = powerOn ? "On" : "Off";
  return deps.store.create<VirtualMachine>({
    apiVersion: "landfall.dev/v1beta1",
    kind: "VirtualMachine",
    metadata: {
      name: newName,
      namespace,
      annotations: { [`${k.migratedFrom.replace(/migrated-from$/, "cloned-from")}`]: `${namespace}/${sourceName}`, [k.importedDiskID]: boot.diskID },
    },
    spec,
  });
}
