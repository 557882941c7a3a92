// A Provider's VMs: sources list what could be migrated, targets what runs there. One implementation for the
// inventory route and for VMAction "inventory".
import { ApiError } from "../../api/errors.ts";
import type { Provider } from "../../api/provider.ts";
import type { SourceVM, TargetVM } from "../../providers/contract.ts";
import type { ProviderClients } from "./clients.ts";

export type ProviderInventory = { kind: "SourceVMList"; items: SourceVM[] } | { kind: "TargetVMList"; items: TargetVM[] };

export async function providerInventory(clients: ProviderClients, namespace: string, name: string): Promise<ProviderInventory> {
  return inventoryOf(clients, await clients.provider(namespace, name));
}

export async function inventoryOf(clients: ProviderClients, provider: Provider): Promise<ProviderInventory> {
  const name = provider.metadata.name;
  try {
    if (clients.canSource(provider.spec.type)) {
      const items = await (await clients.source(provider)).listVMs();
      return { kind: "SourceVMList", items: items.sort((a, b) => a.name.localeCompare(b.name)) };
    }
    const items = await (await clients.target(provider)).listVMs();
    return { kind: "TargetVMList", items: items.sort((a, b) => a.name.localeCompare(b.name)) };
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError("ServiceUnavailable", `Provider "${name}": ${(err as Error).message}`);
  }
}
