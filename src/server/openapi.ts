// OpenAPI documents for kubectl (client-side validation of `apply`, `explain`), generated from the same
// structural schemas as the CRDs (crds.ts), so the embedded server and a cluster describe the same objects.
// v3: `/openapi/v3` lists one document per group-version; v2: one Swagger document in JSON (no protobuf).
import { createHash } from "node:crypto";
import { crdFor, type JSONSchemaProps } from "../api/crds.ts";
import { KINDS, type KindInfo } from "../api/kinds.ts";
import { API_GROUP, API_VERSION } from "../api/meta.ts";

export interface GroupVersion {
  /** "" for the core group. */
  group: string;
  version: string;
  /** URL path without the leading slash: "apis/landfall.dev/v1beta1" or "api/v1". */
  path: string;
  /** Definition-name prefix, the way Kubernetes names them (reverse domain). */
  prefix: string;
}

export const GROUP_VERSIONS: readonly GroupVersion[] = [
  { group: API_GROUP, version: "v1beta1", path: `apis/${API_VERSION}`, prefix: "dev.landfall.v1beta1" },
  { group: "", version: "v1", path: "api/v1", prefix: "io.k8s.api.core.v1" },
];

const kindsOf = (gv: GroupVersion): readonly KindInfo[] => (gv.group === "" ? KINDS.filter((k) => k.core) : KINDS);

/** The schema of `info` as served in `gv`, tagged with the group-version-kind kubectl looks it up by. */
function definition(info: KindInfo, gv: GroupVersion): JSONSchemaProps {
  const schema = crdFor(info).spec.versions[0].schema.openAPIV3Schema;
  const properties = schema.properties as Record<string, JSONSchemaProps>;
  return {
    ...schema,
    description: `${info.kind} (${gv.group ? `${gv.group}/` : ""}${gv.version}), landfall's schema`,
    properties: {
      ...properties,
      apiVersion: { type: "string", description: "APIVersion: landfall.dev/v1beta1 (v1 also accepted for Secret and ConfigMap)" },
      kind: { type: "string", description: `Kind: ${info.kind}` },
      metadata: { type: "object", description: "Standard object metadata (name, namespace, labels, annotations, …)", "x-kubernetes-preserve-unknown-fields": true },
    },
    "x-kubernetes-group-version-kind": [{ group: gv.group, version: gv.version, kind: info.kind }],
  };
}

export function definitionsFor(gv: GroupVersion): Record<string, JSONSchemaProps> {
  return Object.fromEntries(kindsOf(gv).map((info) => [`${gv.prefix}.${info.kind}`, definition(info, gv)]));
}

/** Patch bodies the server takes; strategic merge only for core kinds, whose objects hold maps alone (see patch-types.ts). */
const patchContent = (gv: GroupVersion): string[] => [
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/apply-patch+yaml",
  ...(gv.group === "" ? ["application/strategic-merge-patch+json"] : []),
];

/**
 * The PATCH operation of each kind. kubectl reads it to learn that the server validates fields itself
 * (`fieldValidation`: it then sends `fieldValidation=Strict` instead of downloading the protobuf /openapi/v2
 * this server does not speak) and which patch types it takes. Only what kubectl looks at is described.
 */
function patchPaths(gv: GroupVersion): Record<string, unknown> {
  const query = (name: string, description: string) => ({ name, in: "query", description, schema: { type: "string" }, style: "form" });
  return Object.fromEntries(
    kindsOf(gv).map((info) => [
      `/${gv.path}/namespaces/{namespace}/${info.plural}/{name}`,
      {
        patch: {
          description: `partially update the specified ${info.kind}`,
          operationId: `patch${gv.group ? "Landfall" : "Core"}${info.kind}`,
          "x-kubernetes-action": "patch",
          "x-kubernetes-group-version-kind": { group: gv.group, version: gv.version, kind: info.kind },
          parameters: [
            query("fieldValidation", "Strict, Warn or Ignore; this server always rejects unknown and invalid fields"),
            query("fieldManager", "name of the actor making the change; required for apply patches"),
            query("force", "apply: take over fields other managers own"),
            query("dryRun", "All: validate and admit, write nothing, answer the object that would be stored"),
          ],
          requestBody: { content: Object.fromEntries(patchContent(gv).map((t) => [t, { schema: { $ref: `#/components/schemas/${gv.prefix}.${info.kind}` } }])), required: true },
          responses: { "200": { description: "OK", content: { "application/json": { schema: { $ref: `#/components/schemas/${gv.prefix}.${info.kind}` } } } } },
        },
      },
    ]),
  );
}

/** One group-version's OpenAPI 3.0 document. */
export function openApiV3Document(gv: GroupVersion, version: string): Record<string, unknown> {
  return {
    openapi: "3.0.0",
    info: { title: "landfall", version },
    paths: patchPaths(gv),
    components: { schemas: definitionsFor(gv) },
  };
}

/** The hash kubectl caches a group-version document by. */
export const documentHash = (doc: unknown): string => createHash("sha512").update(JSON.stringify(doc)).digest("hex").slice(0, 128).toUpperCase();

/** `/openapi/v3`: where each group-version's document lives. */
export function openApiV3Index(version: string): { paths: Record<string, { serverRelativeURL: string }> } {
  return {
    paths: Object.fromEntries(GROUP_VERSIONS.map((gv) => [gv.path, { serverRelativeURL: `/openapi/v3/${gv.path}?hash=${documentHash(openApiV3Document(gv, version))}` }])),
  };
}

/** `/openapi/v2`: Swagger 2.0 with every definition; `$ref`s are not used, so the schemas carry over as they are. */
export function openApiV2Document(version: string): Record<string, unknown> {
  return {
    swagger: "2.0",
    info: { title: "landfall", version },
    paths: {},
    definitions: Object.assign({}, ...GROUP_VERSIONS.map(definitionsFor)),
  };
}

/**
 * kubectl asks `/openapi/v2` for protobuf first; this server speaks JSON only. 406 tells a client to fall back
 * (as kube-apiserver-compatible clients do); a JSON or wildcard Accept gets the document.
 */
export function acceptsJson(accept: string | undefined): boolean {
  if (!accept) return true;
  return accept
    .split(",")
    .map((part) => part.split(";")[0].trim().toLowerCase())
    .some((type) => type === "application/json" || type === "*/*" || type === "application/*");
}
