// Looks up the Providers an object references and applies the tenancy rule (tenancy.ts) to them — shared by
// admission and the controllers, which re-check because a Provider's tenants may change after admission.
import { isApiError } from "../../api/errors.ts";
import type { KubeObject } from "../../api/meta.ts";
import type { Provider } from "../../api/provider.ts";
import type { ResourceStore } from "../../store/types.ts";
import { type ProviderUse, type TenancyClaims, type TenancyRefusal, tenancyClaims, tenancyRefusal } from "./tenancy.ts";

/** The Providers a set of uses points at; a missing one is left to the caller's "not found" handling. */
export async function lookupProviders(store: ResourceStore, uses: ProviderUse[]): Promise<(u: ProviderUse) => Provider | undefined> {
  const found = new Map<string, Provider>();
  for (const u of uses) {
    // Any failure other than NotFound propagates: the check fails closed.
    const p = await store.get<Provider>("Provider", u.namespace, u.ref.name).catch((err) => {
      if (isApiError(err, "NotFound")) return undefined;
      throw err;
    });
    if (p) found.set(`${u.namespace}/${u.ref.name}`, p);
  }
  return (u) => found.get(`${u.namespace}/${u.ref.name}`);
}

/** Why obj may not use the Providers it references; undefined when it may (or references none). */
export async function providerTenancyRefusal(store: ResourceStore, obj: KubeObject, claims: TenancyClaims | undefined = tenancyClaims(obj)): Promise<TenancyRefusal | undefined> {
  if (!claims) return undefined;
  return tenancyRefusal(claims, await lookupProviders(store, claims.providers));
}
