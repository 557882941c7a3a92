// The server's copy of each Provider's inventory, so paging and filtering a 10,000-VM vCenter reads it once,
// not once per page: a list is reused while the Provider is the same (UID and generation), by a first page while
// younger than maxAgeMs and by later pages however old; concurrent readers of a stale entry share one read (the first page, a refresh, or
// another page after it expired). A failed read is not kept.
import type { Provider } from "../../api/provider.ts";
import type { ProviderInventory } from "./inventory.ts";
import { inKeyOrder } from "./inventory-page.ts";

export interface CachedInventory {
  /** The inventory in key order (inventory-page.ts). */
  inventory: ProviderInventory;
  /** When the hypervisor was read (ms since the epoch). */
  readAt: number;
}

interface Entry {
  version: string;
  value?: CachedInventory;
  pending?: Promise<CachedInventory>;
}

const versionOf = (p: Provider): string => `${p.metadata.uid}/${p.metadata.generation}`;

export interface InventoryRequest {
  /** Read the hypervisor again even if the copy is young. */
  refresh?: boolean;
  /** A later page of a listing already started: it continues that read, however old (a fling to the end of
   * 10,000 VMs must not wait for a new read half-way, nor see the list change under its continue token). */
  continuing?: boolean;
}

/** Whether a cached list can answer: same Provider version, and either a later page or young enough, no refresh asked. */
export const inventoryReusable = (cached: { version: string; readAt: number } | undefined, version: string, now: number, maxAgeMs: number, request: InventoryRequest): boolean =>
  cached !== undefined && !request.refresh && cached.version === version && (request.continuing === true || now - cached.readAt < maxAgeMs);

export class InventoryCache {
  readonly #read: (provider: Provider) => Promise<ProviderInventory>;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(read: (provider: Provider) => Promise<ProviderInventory>, options: { maxAgeMs: number; now?: () => number }) {
    this.#read = read;
    this.#maxAgeMs = options.maxAgeMs;
    this.#now = options.now ?? Date.now;
  }

  async get(provider: Provider, request: InventoryRequest = {}): Promise<CachedInventory> {
    const key = `${provider.metadata.namespace ?? ""}/${provider.metadata.name}`;
    const version = versionOf(provider);
    const entry = this.#entries.get(key);
    if (entry?.version === version && entry.pending) return entry.pending;
    const cached = entry?.value ? { version: entry.version, readAt: entry.value.readAt } : undefined;
    if (entry?.value && inventoryReusable(cached, version, this.#now(), this.#maxAgeMs, request)) return entry.value;
    const readAt = this.#now();
    const pending = this.#read(provider).then((inv) => ({ inventory: inKeyOrder(inv), readAt }));
    const next: Entry = { version, value: entry?.version === version ? entry.value : undefined, pending };
    this.#entries.set(key, next);
    try {
      const value = await pending;
      if (this.#entries.get(key) === next) this.#entries.set(key, { version, value });
      return value;
    } catch (err) {
      if (this.#entries.get(key) === next) this.#entries.delete(key);
      throw err;
    }
  }
}
