// Object metadata, conditions and references shared by every kind (Kubernetes conventions).
import { type Static, type TSchema, Type } from "@sinclair/typebox";

export const API_GROUP = "landfall.dev";
export const API_VERSION = "landfall.dev/v1beta1";
export const DEFAULT_NAMESPACE = "default";

/** DNS-1123 label: lower-case alphanumerics and '-', starting and ending alphanumeric, at most 63. */
export const DNS1123_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
export const Name = Type.String({ pattern: DNS1123_LABEL, maxLength: 63, minLength: 1 });

/** Label and annotation keys: optional DNS-subdomain prefix and '/', then a name of at most 63. */
const LABEL_KEY = "^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$";
const LABEL_VALUE = "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$";
export const Labels = Type.Record(Type.String({ pattern: LABEL_KEY }), Type.String({ pattern: LABEL_VALUE, maxLength: 63 }));
export const Annotations = Type.Record(Type.String({ pattern: LABEL_KEY }), Type.String({ maxLength: 262144 }));

export const OwnerReference = Type.Object(
  {
    apiVersion: Type.String(),
    kind: Type.String(),
    name: Name,
    uid: Type.String(),
    controller: Type.Optional(Type.Boolean()),
    blockOwnerDeletion: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type OwnerReference = Static<typeof OwnerReference>;

export const ObjectMeta = Type.Object(
  {
    name: Name,
    namespace: Type.Optional(Name),
    uid: Type.Optional(Type.String()),
    resourceVersion: Type.Optional(Type.String()),
    generation: Type.Optional(Type.Integer()),
    labels: Type.Optional(Labels),
    annotations: Type.Optional(Annotations),
    ownerReferences: Type.Optional(Type.Array(OwnerReference)),
    finalizers: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 253 }))),
    creationTimestamp: Type.Optional(Type.String()),
    deletionTimestamp: Type.Optional(Type.String()),
    /** Field ownership for server-side apply; the server keeps it (src/server/managed-fields.ts). */
    managedFields: Type.Optional(
      Type.Array(
        Type.Object({
          manager: Type.String(),
          operation: Type.Union([Type.Literal("Apply"), Type.Literal("Update")]),
          apiVersion: Type.String(),
          time: Type.String(),
          fieldsType: Type.Literal("FieldsV1"),
          fieldsV1: Type.Record(Type.String(), Type.Unknown()),
          subresource: Type.Optional(Type.String()),
        }),
      ),
    ),
  },
  { additionalProperties: false },
);
export type ObjectMeta = Static<typeof ObjectMeta>;

export const ConditionStatus = Type.Union([Type.Literal("True"), Type.Literal("False"), Type.Literal("Unknown")]);
export const Condition = Type.Object(
  {
    type: Type.String(),
    status: ConditionStatus,
    reason: Type.Optional(Type.String()),
    message: Type.Optional(Type.String()),
    lastTransitionTime: Type.Optional(Type.String()),
    observedGeneration: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);
export type Condition = Static<typeof Condition>;

export const LocalObjectReference = Type.Object({ name: Name }, { additionalProperties: false });
export type LocalObjectReference = Static<typeof LocalObjectReference>;

/** A reference to a Provider; `namespace` defaults to the referring object's own namespace. */
export const ProviderReference = Type.Object(
  { name: Name, namespace: Type.Optional(Name) },
  { additionalProperties: false },
);
export type ProviderReference = Static<typeof ProviderReference>;

/** Status fields every kind with a status shares. Kinds extend this with their own. */
export const commonStatus = {
  phase: Type.Optional(Type.String()),
  conditions: Type.Optional(Type.Array(Condition)),
  observedGeneration: Type.Optional(Type.Integer()),
  message: Type.Optional(Type.String()),
};

/** A top-level resource schema: apiVersion, kind, metadata plus the given body properties. */
export function resourceSchema(kind: string, body: Record<string, TSchema>, apiVersions: string[] = [API_VERSION]) {
  return Type.Object(
    {
      apiVersion: Type.Union(apiVersions.map((v) => Type.Literal(v))),
      kind: Type.Literal(kind),
      metadata: ObjectMeta,
      ...body,
    },
    { additionalProperties: false },
  );
}

/** Any stored object, as the store and the server see it: typed metadata, untyped body. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
  [field: string]: unknown;
}

/** A typed object: what controllers and clients work with after validation. */
export interface Resource<Spec, Status = unknown> extends KubeObject {
  spec: Spec;
  status?: Status;
}
