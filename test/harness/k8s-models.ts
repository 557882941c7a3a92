// Checks an object against @kubernetes/client-node's models, which are generated from Kubernetes' published
// OpenAPI: every field must be one the type declares, with the declared type, recursively. (Required fields
// are not in the models; tests assert the ones that matter.)
import * as k8s from "@kubernetes/client-node";

interface Attribute {
  name: string;
  baseName: string;
  type: string;
}

const MODELS: Record<string, string> = {
  "v1/ServiceAccount": "V1ServiceAccount",
  "v1/Service": "V1Service",
  "v1/Secret": "V1Secret",
  "v1/ConfigMap": "V1ConfigMap",
  "apps/v1/Deployment": "V1Deployment",
  "rbac.authorization.k8s.io/v1/ClusterRole": "V1ClusterRole",
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": "V1ClusterRoleBinding",
  "rbac.authorization.k8s.io/v1/Role": "V1Role",
  "rbac.authorization.k8s.io/v1/RoleBinding": "V1RoleBinding",
  "apiextensions.k8s.io/v1/CustomResourceDefinition": "V1CustomResourceDefinition",
};

function attributes(model: string): Attribute[] | undefined {
  const cls = (k8s as unknown as Record<string, { getAttributeTypeMap?: () => Attribute[] }>)[model];
  return cls?.getAttributeTypeMap?.();
}

function check(value: unknown, type: string, path: string, errors: string[]): void {
  if (value === undefined) return;
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (!Array.isArray(value)) errors.push(`${path}: want an array of ${array[1]}`);
    else for (const [i, v] of value.entries()) check(v, array[1], `${path}[${i}]`, errors);
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (!value || typeof value !== "object" || Array.isArray(value)) errors.push(`${path}: want a map of ${map[1]}`);
    else for (const [k, v] of Object.entries(value)) check(v, map[1], `${path}.${k}`, errors);
    return;
  }
  if (type === "string" || type === "Date" || type === "V1MicroTime") {
    if (typeof value !== "string") errors.push(`${path}: want a string, got ${JSON.stringify(value)}`);
    return;
  }
  if (type === "number" || type === "boolean") {
    if (typeof value !== type) errors.push(`${path}: want a ${type}, got ${JSON.stringify(value)}`);
    return;
  }
  if (type === "IntOrString") {
    if (typeof value !== "string" && typeof value !== "number") errors.push(`${path}: want an int or a string`);
    return;
  }
  if (type === "any" || type === "object") return;
  const attrs = attributes(type);
  if (!attrs) {
    errors.push(`${path}: no model ${type} to check against`);
    return;
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    errors.push(`${path}: want an object (${type})`);
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    const attr = attrs.find((a) => a.baseName === k);
    if (!attr) errors.push(`${path}.${k}: unknown field of ${type}`);
    else check(v, attr.type, `${path}.${k}`, errors);
  }
}

/** Problems with `obj` (empty when it fits its kind's model); an unknown apiVersion/kind is itself a problem. */
export function modelErrors(obj: object): string[] {
  const { apiVersion, kind } = obj as { apiVersion?: unknown; kind?: unknown };
  const model = MODELS[`${String(apiVersion)}/${String(kind)}`];
  if (!model) return [`no model for ${String(apiVersion)} ${String(kind)}`];
  const errors: string[] = [];
  check(obj, model, String(kind), errors);
  return errors;
}
