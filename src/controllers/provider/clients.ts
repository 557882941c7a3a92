// Live provider clients for Provider resources: reads the credentials Secret, builds the client through the
// factory registered for the provider's type, and caches it per Provider generation (and Secret version).
// providerRefs resolve through providerKey (ref.ts): an optional namespace, default the referring object's.
import { ApiError } from "../../api/errors.ts";
import type { ProviderReference } from "../../api/meta.ts";
import type { Provider } from "../../api/provider.ts";
import { type Secret, secretValue } from "../../api/secret.ts";
import type { SourceProvider, TargetProvider } from "../../providers/contract.ts";
import type { ResourceStore } from "../../store/types.ts";
import { providerKey } from "./ref.ts";

export interface ProviderConfig {
  name: string;
  namespace: string;
  spec: Provider["spec"];
  username?: string;
  password?: string;
  /** kubevirt: the kubeconfig the kubeconfigRef Secret holds. */
  kubeconfig?: string;
}

/** Builds a provider client; async when its implementation is loaded on first use (KubeVirt's Kubernetes client). */
export interface ProviderFactories {
  source: Partial<Record<string, (cfg: ProviderConfig) => SourceProvider | Promise<SourceProvider>>>;
  target: Partial<Record<string, (cfg: ProviderConfig) => TargetProvider | Promise<TargetProvider>>>;
}

interface Entry {
  version: string;
  /** The client being built or built; a build that failed is forgotten, so the next call tries again. */
  source?: Promise<SourceProvider>;
  target?: Promise<TargetProvider>;
  /** Leases not yet released; a retired entry closes when this reaches 0. */
  users: number;
  /** Replaced by a newer version of its Provider/Secret (or forgotten): no new work gets it. */
  retired: boolean;
}

/** A client held for one piece of work; release() when done so a replaced client can close. */
export interface Lease<C> {
  provider: Provider;
  client: C;
  release(): Promise<void>;
}

/**
 * Caches one client per Provider version. A changed Provider or Secret makes new work get a new client, while
 * work in flight keeps the client it started with (reference-counted leases): the old client closes when its
 * last user releases it, so editing a Provider never cuts a transfer.
 */
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

  /** The Provider a providerRef names, seen from an object in referringNamespace. */
  async providerFor(ref: ProviderReference, referringNamespace: string): Promise<Provider> {
    const key = providerKey(ref, referringNamespace);
    return this.provider(key.namespace, key.name);
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
    if (p.spec.kubeconfigRef) {
      const name = p.spec.kubeconfigRef.name;
      const secret = await this.#store.get<Secret>("Secret", ns, name).catch((err: unknown) => {
        if (err instanceof ApiError && err.reason === "NotFound") {
          throw new Error(`spec.kubeconfigRef: Secret "${name}" not found in namespace "${ns}"; create it with stringData.kubeconfig holding the cluster's kubeconfig`);
        }
        throw err;
      });
      cfg.kubeconfig = secretValue(secret, "kubeconfig");
      if (!cfg.kubeconfig) throw new Error(`spec.kubeconfigRef: Secret "${name}" in namespace "${ns}" has no key kubeconfig; put the cluster's kubeconfig under stringData.kubeconfig`);
      version += `/${secret.metadata.resourceVersion}`;
    }
    return { cfg, version };
  }

  async #entry(p: Provider): Promise<{ entry: Entry; cfg: ProviderConfig }> {
    const key = `${p.metadata.namespace ?? "default"}/${p.metadata.name}`;
    const { cfg, version } = await this.#config(p);
    let entry = this.#cache.get(key);
    if (!entry || entry.version !== version) {
      if (entry) await retire(entry);
      entry = { version, users: 0, retired: false };
      this.#cache.set(key, entry);
    }
    return { entry, cfg };
  }

  #sourceOf(p: Provider, entry: Entry, cfg: ProviderConfig): Promise<SourceProvider> {
    const factory = this.#factories.source[p.spec.type];
    if (!factory) return Promise.reject(new Error(`Provider "${p.metadata.name}" has type ${p.spec.type}, which landfall cannot migrate from yet`));
    entry.source ??= built(() => factory(cfg), () => {
      entry.source = undefined;
    });
    return entry.source;
  }

  #targetOf(p: Provider, entry: Entry, cfg: ProviderConfig): Promise<TargetProvider> {
    const factory = this.#factories.target[p.spec.type];
    if (!factory) return Promise.reject(new Error(`Provider "${p.metadata.name}" has type ${p.spec.type}, which landfall cannot migrate to yet`));
    entry.target ??= built(() => factory(cfg), () => {
      entry.target = undefined;
    });
    return entry.target;
  }

  /** The current client for a short call (no lease: a Provider edit may close it after the call). */
  async source(p: Provider): Promise<SourceProvider> {
    const { entry, cfg } = await this.#entry(p);
    return this.#sourceOf(p, entry, cfg);
  }

  async target(p: Provider): Promise<TargetProvider> {
    const { entry, cfg } = await this.#entry(p);
    return this.#targetOf(p, entry, cfg);
  }

  /** A source client held until release(), for long work that must outlive a Provider edit. */
  async leaseSource(ref: ProviderReference, referringNamespace: string): Promise<Lease<SourceProvider>> {
    const provider = await this.providerFor(ref, referringNamespace);
    const { entry, cfg } = await this.#entry(provider);
    return lease(entry, provider, await this.#sourceOf(provider, entry, cfg));
  }

  async leaseTarget(ref: ProviderReference, referringNamespace: string): Promise<Lease<TargetProvider>> {
    const provider = await this.providerFor(ref, referringNamespace);
    const { entry, cfg } = await this.#entry(provider);
    return lease(entry, provider, await this.#targetOf(provider, entry, cfg));
  }

  async sourceByRef(ref: ProviderReference, referringNamespace: string): Promise<{ provider: Provider; client: SourceProvider }> {
    const provider = await this.providerFor(ref, referringNamespace);
    return { provider, client: await this.source(provider) };
  }

  async targetByRef(ref: ProviderReference, referringNamespace: string): Promise<{ provider: Provider; client: TargetProvider }> {
    const provider = await this.providerFor(ref, referringNamespace);
    return { provider, client: await this.target(provider) };
  }

  async forget(namespace: string, name: string): Promise<void> {
    const key = `${namespace}/${name}`;
    const entry = this.#cache.get(key);
    this.#cache.delete(key);
    if (entry) await retire(entry);
  }

  async close(): Promise<void> {
    const entries = [...this.#cache.values()];
    this.#cache.clear();
    await Promise.all(entries.map(closeEntry));
  }
}

function lease<C>(entry: Entry, provider: Provider, client: C): Lease<C> {
  entry.users++;
  let released = false;
  return {
    provider,
    client,
    release: async () => {
      if (released) return;
      released = true;
      entry.users--;
      if (entry.retired && entry.users === 0) await closeEntry(entry);
    },
  };
}

async function retire(e: Entry): Promise<void> {
  e.retired = true;
  if (e.users === 0) await closeEntry(e);
}

async function closeEntry(e: Entry): Promise<void> {
  await Promise.allSettled([e.source?.then((c) => c.close()), e.target?.then((c) => c.close())]);
}

/** The client `make` builds, as a promise; `forget` runs when the build fails, so a later call builds again. */
function built<C>(make: () => C | Promise<C>, forget: () => void): Promise<C> {
  const client = Promise.resolve().then(make);
  client.catch(forget);
  return client;
}
