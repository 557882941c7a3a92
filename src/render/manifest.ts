// The shape every renderer returns: plain Kubernetes-style objects for other systems (Cozystack, Forklift, Flux),
// which the CLI prints as YAML documents. They are not landfall resources, so they are not validated by src/api.

export interface ManifestMetadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: ManifestMetadata;
  spec: Record<string, unknown>;
}

/** A core/v1 Secret for another system (e.g. Forklift's provider credentials): no spec, values in stringData. */
export interface SecretManifest {
  apiVersion: "v1";
  kind: "Secret";
  metadata: ManifestMetadata;
  type: "Opaque";
  stringData: Record<string, string>;
}

/** What a renderer produces: the objects, plus what the target format cannot express (printed as comments). */
export interface Rendered<T extends { kind: string; metadata: ManifestMetadata } = Manifest> {
  objects: T[];
  warnings: string[];
}

/** A Kubernetes object name of at most 63 characters that does not end in '-'. */
export function trimName(name: string): string {
  return name.slice(0, 63).replace(/-+$/, "");
}
