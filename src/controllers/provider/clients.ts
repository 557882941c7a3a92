// Live provider clients for Provider resources: reads the credentials Secret, builds the client through the
// factory registered for the provider's type, and caches it per Provider generation (and Secret version).
import { ApiError } from "../../api/errors.ts";
import type { Provider } from "../../api/provider.ts";
import { type Secret, secretValue } from "../../api/secret.ts";
import type { SourceProvider, TargetProvider } from "../../providers/contract.ts";
import type { ResourceStore } from "../../store/types.ts";

export interface ProviderConfig {
  name: string;
  namespace: string;
  spec: Provider["spec"];
  username?: string;
  password?: string;
}

export interface ProviderFactories {
  source: Partial<Record<string, (cfg: ProviderConfig) => SourceProvider>>;
  target: Partial<Record<string, (cfg: ProviderConfig) => TargetProvider>>;
}

interface Entry {
  version: string;
  source?: SourceProvider;
  target?: TargetProvider;
}

export class ProviderClients {
  readonly #store: ResourceStore;
  readonly #factories: ProviderFactories;
  readonly #cache = new Map<string, Entry>();

  constructor(store: ResourceStore, factories: ProviderFactories) {
    this.#store = store;
    this.#factories = factories;
  }

  canSource(type: string): boolean {
    return Boolean(this.#factories.source[type]);
  }

  canTarget(type: string): boolean {
    return Boolean(this.#factories.target[type]);
  }

  async provider(namespace: string, name: string): Promise<Provider> {
    return this.#store.get<Provider>("Provider", namespace, name);
  }

  async #config(p: Provider): Promise<{ cfg: ProviderConfig; version: string }> {
    const ns = p.metadata.namespace ?? "default";
    const cfg: ProviderConfig = { name: p.metadata.name, namespace: ns, spec: p.spec };
    let version = `${p.metadata.uid}/${p.metadata.generation}`;
    if (p.spec.credentialsRef) {
      let secret: Secret;
      try {
        secret = await this.#store.get<Secret>("Secret", ns, p.spec.credentialsRef.name);
      } catch (err) {
        if (err instanceof ApiError && err.reason === "NotFound") {
          throw new Error(`spec.credentialsRef: Secret "${p.spec.credentialsRef.name}" not found in namespace "${ns}"; create it with stringData.username and stringData.password`);
        }
        throw err;
      }
      cfg.username = secretValue(secret, "username");
      cfg.password = secretValue(secret, "password");
      version += `/${secret.metadata.resourceVersion}`;
    }
    return { cfg, version };
  }

  async #entry(p: Provider): Promise<{ entry: Entry; cfg: ProviderConfig }> {
    const key = `${p.metadata.namespace ?? "default"}/${p.metadata.name}`;
    const { cfg, version } = await this.#config(p);
    let entry = this.#cache.get(key);
    if (!entry || entry.version !== version) {
      if (entry) await closeEntry(entry);
      entry = { version };
      this.#cache.set(key, entry);
    }
    return { entry, cfg };
  }

  async source(p: Provider): Promise<SourceProvider> {
    const factory = this.#factories.source[p.spec.type];
    if (!factory) throw new Error(`Provider "${p.metadata.name}" has type ${p.spec.type}, which landfall cannot migrate from yet`);
    const { entry, cfg } = await this.#entry(p);
    entry.source ??= factory(cfg);
    return entry.source;
  }

  async target(p: Provider): Promise<TargetProvider> {
    const factory = this.#factories.target[p.spec.type];
    if (!factory) throw new Error(`Provider "${p.metadata.name}" has type ${p.spec.type}, which landfall cannot migrate to yet`);
    const { entry, cfg } = await this.#entry(p);
    entry.target ??= factory(cfg);
    return entry.target;
  }

  async sourceByRef(namespace: string, name: string): Promise<{ provider: Provider; client: SourceProvider }> {
    const provider = await this.provider(namespace, name);
    return { provider, client: await this.source(provider) };
  }

  async targetByRef(namespace: string, name: string): Promise<{ provider: Provider; client: TargetProvider }> {
    const provider = await this.provider(namespace, name);
    return { provider, client: await this.target(provider) };
  }

  async forget(namespace: string, name: string): Promise<void> {
    const key = `${namespace}/${name}`;
    const entry = this.#cache.get(key);
    this.#cache.delete(key);
    if (entry) await closeEntry(entry);
  }

  async close(): Promise<void> {
    const entries = [...this.#cache.values()];
    this.#cache.clear();
    await Promise.all(entries.map(closeEntry));
  }
}

async function closeEntry(e: Entry): Promise<void> {
  await Promise.allSettled([e.source?.close(), e.target?.close()]);
}
