// The Helm chart deploy/helm/landfall, generated from code: chartManifests() is what the chart installs for a
// release and its values (checked by tests against the Kubernetes models), and chartFiles() writes the same
// objects as templates whose leaves are Go-template expressions — so templates and checked objects cannot drift.
// CRDs are not templates: `landfall crds` writes them into crds/ when the chart is packaged (make chart).
import { stringify } from "yaml";
import type { KubeObject } from "../api/meta.ts";

export interface ChartValues {
  image: { repository: string; tag: string; pullPolicy: string };
  replicas: number;
  preset: string;
  healthPort: number;
  resources: { requests: { cpu: string; memory: string }; limits: { memory: string } };
  serviceMonitor: { enabled: boolean; interval: string };
}

export interface Release {
  name: string;
  namespace: string;
}

export const CHART_VERSION = "0.1.0";

export const DEFAULT_VALUES: ChartValues = {
  image: { repository: "ghcr.io/landfall/landfall", tag: CHART_VERSION, pullPolicy: "IfNotPresent" },
  replicas: 2,
  preset: "landfall",
  healthPort: 8080,
  resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } },
  serviceMonitor: { enabled: false, interval: "30s" },
};

const LANDFALL_RESOURCES = ["providers", "vmimages", "virtualmachines", "vmmigrations", "vmimports"];
const READ = ["get", "list", "watch"];
const WRITE = ["get", "list", "watch", "create", "update", "patch", "delete"];

/**
 * Least privilege: what the controllers call, nothing more. Secrets are only read (credentials, kubeconfigs);
 * ConfigMaps are written (adoption records); KubeVirt VMs and CDI DataVolumes are the KubeVirt target's;
 * Forklift Plans are read for adoption. The Lease is a namespaced Role in the release's namespace only.
 */
export function clusterRules(): Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> {
  return [
    { apiGroups: ["landfall.dev"], resources: LANDFALL_RESOURCES, verbs: WRITE },
    { apiGroups: ["landfall.dev"], resources: LANDFALL_RESOURCES.map((r) => `${r}/status`), verbs: ["get", "update", "patch"] },
    { apiGroups: ["landfall.dev"], resources: LANDFALL_RESOURCES.map((r) => `${r}/finalizers`), verbs: ["update"] },
    { apiGroups: [""], resources: ["secrets"], verbs: READ },
    { apiGroups: [""], resources: ["configmaps"], verbs: WRITE },
    { apiGroups: ["kubevirt.io"], resources: ["virtualmachines"], verbs: WRITE },
    { apiGroups: ["kubevirt.io"], resources: ["virtualmachineinstances"], verbs: READ },
    { apiGroups: ["cdi.kubevirt.io"], resources: ["datavolumes"], verbs: WRITE },
    { apiGroups: ["forklift.konveyor.io"], resources: ["plans"], verbs: READ },
  ];
}

export function chartManifests(release: Release, values: ChartValues): KubeObject[] {
  const name = `${release.name}-landfall`;
  const namespace = release.namespace;
  const labels = { "app.kubernetes.io/name": "landfall", "app.kubernetes.io/instance": release.name };
  const meta = (n: string, namespaced = true) => ({ name: n, ...(namespaced ? { namespace } : {}), labels });
  const subject = [{ kind: "ServiceAccount", name, namespace }];
  const objects: KubeObject[] = [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: meta(name) },
    { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: meta(name, false), rules: clusterRules() },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: meta(name, false),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
      subjects: subject,
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: meta(`${name}-leader-election`),
      rules: [{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: meta(`${name}-leader-election`),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: `${name}-leader-election` },
      subjects: subject,
    },
    deployment(name, meta(name), labels, release, values),
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta(name),
      spec: { selector: labels, ports: [{ name: "metrics", port: values.healthPort, targetPort: "metrics", protocol: "TCP" }] },
    },
  ];
  if (values.serviceMonitor.enabled) objects.push(serviceMonitor(meta(name), labels, values));
  return objects;
}

function deployment(name: string, metadata: KubeObject["metadata"], labels: Record<string, string>, release: Release, values: ChartValues): KubeObject {
  const probe = (path: string) => ({ httpGet: { path, port: "metrics" }, periodSeconds: 10 });
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata,
    spec: {
      replicas: values.replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: name,
          securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "operator",
              image: `${values.image.repository}:${values.image.tag}`,
              imagePullPolicy: values.image.pullPolicy,
              args: [
                "operator",
                "--leader-elect",
                "--lease-namespace",
                release.namespace,
                "--lease-name",
                name,
                "--identity",
                "$(POD_NAME)",
                "--health-listen",
                `0.0.0.0:${values.healthPort}`,
                "--data-dir",
                "/var/lib/landfall",
                "--preset",
                values.preset,
              ],
              env: [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
              ports: [{ name: "metrics", containerPort: values.healthPort, protocol: "TCP" }],
              livenessProbe: probe("/healthz"),
              readinessProbe: probe("/readyz"),
              resources: values.resources,
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
              volumeMounts: [{ name: "scratch", mountPath: "/var/lib/landfall" }],
            },
          ],
          volumes: [{ name: "scratch", emptyDir: {} }],
        },
      },
    },
  };
}

function serviceMonitor(metadata: KubeObject["metadata"], labels: Record<string, string>, values: ChartValues): KubeObject {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata,
    spec: { selector: { matchLabels: labels }, endpoints: [{ port: "metrics", path: "/metrics", interval: values.serviceMonitor.interval }] },
  };
}

/** Values whose every leaf is the Go-template expression that reads it (`{{ .Values.image.tag }}`). */
function templateValues(node: unknown, path: string): unknown {
  if (node && typeof node === "object" && !Array.isArray(node)) {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, templateValues(v, `${path}.${k}`)]));
  }
  return `{{ ${path} }}`;
}

const TEMPLATE_FILES: Record<string, string[]> = {
  "rbac.yaml": ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"],
  "deployment.yaml": ["Deployment"],
  "service.yaml": ["Service"],
  "servicemonitor.yaml": ["ServiceMonitor"],
};

/** Files of deploy/helm/landfall, path → content (crds/ excepted: `make chart` writes it with `landfall crds`). */
export function chartFiles(): Record<string, string> {
  const values = { ...(templateValues(DEFAULT_VALUES, ".Values") as ChartValues), serviceMonitor: { ...(templateValues(DEFAULT_VALUES.serviceMonitor, ".Values.serviceMonitor") as ChartValues["serviceMonitor"]), enabled: true } };
  const objects = chartManifests({ name: "{{ .Release.Name }}", namespace: "{{ .Release.Namespace }}" }, values);
  const files: Record<string, string> = {
    "Chart.yaml": stringify({ apiVersion: "v2", name: "landfall", description: "landfall operator: VM migrations from vSphere to KVM and KubeVirt", type: "application", version: CHART_VERSION, appVersion: CHART_VERSION }),
    "values.yaml": `# Defaults of the landfall chart (src/render/helm-chart.ts DEFAULT_VALUES).\n${stringify(DEFAULT_VALUES)}`,
  };
  for (const [file, kinds] of Object.entries(TEMPLATE_FILES)) {
    const docs = objects.filter((o) => kinds.includes(o.kind)).map((o) => unquoteNumbers(stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })));
    const body = `# Generated by src/render/helm-chart.ts (make chart); edit the generator, not this file.\n${docs.join("---\n")}`;
    files[`templates/${file}`] = file === "servicemonitor.yaml" ? `{{- if .Values.serviceMonitor.enabled }}\n${body}{{- end }}\n` : body;
  }
  return files;
}

/** Numbers must render unquoted: `replicas: {{ .Values.replicas }}`, not a string. */
function unquoteNumbers(yaml: string): string {
  return yaml.replace(/"(\{\{ \.Values\.(?:replicas|healthPort) \}\})"/g, "$1");
}
