// Following a providerRef: `namespace` is optional and defaults to the namespace of the object that holds the
// reference. The one implementation of that rule; every controller and route that follows a providerRef uses it.
import type { ProviderReference } from "../../api/meta.ts";

export function providerKey(ref: ProviderReference, referringNamespace: string): { namespace: string; name: string } {
  return { namespace: ref.namespace ?? referringNamespace, name: ref.name };
}

/** "ns/name" when the Provider lives in another namespace than the referrer, else "name" — for messages. */
export function providerLabel(ref: ProviderReference, referringNamespace: string): string {
  const key = providerKey(ref, referringNamespace);
  return key.namespace === referringNamespace ? key.name : `${key.namespace}/${key.name}`;
}
