// The Helm chart, without a helm binary (none installs here): the committed templates are what the generator
// writes; rendering them (the only template constructs they use: `{{ .Release.X }}`, `{{ .Values.a.b }}` and
// one `{{- if .Values.x }}…{{- end }}`) gives exactly chartManifests(); every object fits the Kubernetes models
// generated from the published OpenAPI; RBAC is least privilege; the CRDs come from the schemas.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, test } from "node:test";
import { parseAllDocuments } from "yaml";
import { modelErrors } from "../../test/harness/k8s-models.ts";
import { crdsFor } from "../api/crds.ts";
import { KINDS } from "../api/kinds.ts";
import { type ChartValues, chartFiles, chartManifests, clusterRules, DEFAULT_VALUES, type Release } from "./helm-chart.ts";

const CHART = new URL("../../deploy/helm/landfall/", import.meta.url);

function lookup(root: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], root);
}

/** Renders the template subset the generated templates use; anything else is an error, not silently kept. */
function render(text: string, release: Release, values: ChartValues): string {
  const scope = { Release: { Name: release.name, Namespace: release.namespace }, Values: values };
  const conditional = text.replace(/\{\{- if \.(Values\.[\w.]+) \}\}\n([\s\S]*?)\{\{- end \}\}\n/g, (_m, path: string, body: string) => (lookup(scope, path) ? body : ""));
  const out = conditional.replace(/\{\{ \.((?:Release|Values)\.[\w.]+) \}\}/g, (_m, path: string) => {
    const v = lookup(scope, path);
    if (v === undefined || typeof v === "object") throw new Error(`template reads ${path}, which the values do not have as a scalar`);
    return String(v);
  });
  if (out.includes("{{")) throw new Error(`template construct the test renderer does not know: ${out.slice(out.indexOf("{{"), out.indexOf("{{") + 60)}`);
  return out;
}

async function renderChart(release: Release, values: ChartValues): Promise<unknown[]> {
  const objects: unknown[] = [];
  for (const file of ["rbac.yaml", "deployment.yaml", "service.yaml", "servicemonitor.yaml"]) {
    const text = await readFile(new URL(`templates/${file}`, CHART), "utf8");
    for (const doc of parseAllDocuments(render(text, release, values))) if (doc.contents !== null) objects.push(doc.toJS());
  }
  return objects;
}

const release = { name: "lf", namespace: "landfall-system" };

describe("Helm chart deploy/helm/landfall", () => {
  test("the committed chart files are what the generator writes (run `make chart` after changing it)", async () => {
    for (const [path, text] of Object.entries(chartFiles())) assert.equal(await readFile(new URL(path, CHART), "utf8"), text, `deploy/helm/landfall/${path} is stale`);
  });

  test("rendered templates are exactly the checked objects, with and without the ServiceMonitor", async () => {
    const custom: ChartValues = { ...DEFAULT_VALUES, replicas: 3, image: { ...DEFAULT_VALUES.image, tag: "1.2.3" }, serviceMonitor: { enabled: true, interval: "15s" } };
    for (const values of [DEFAULT_VALUES, custom]) assert.deepEqual(await renderChart(release, values), chartManifests(release, values));
    const kinds = (await renderChart(release, custom)).map((o) => (o as { kind: string }).kind);
    assert.ok(kinds.includes("ServiceMonitor"));
    assert.ok(!(await renderChart(release, DEFAULT_VALUES)).some((o) => (o as { kind: string }).kind === "ServiceMonitor"));
    const deployment = (await renderChart(release, custom)).find((o) => (o as { kind: string }).kind === "Deployment") as { spec: { replicas: unknown } };
    assert.equal(deployment.spec.replicas, 3, "numbers render as numbers");
  });

  test("every object fits its Kubernetes model; the ServiceMonitor has the fields Prometheus Operator reads", () => {
    const values = { ...DEFAULT_VALUES, serviceMonitor: { enabled: true, interval: "30s" } };
    for (const obj of chartManifests(release, values)) {
      if (obj.kind === "ServiceMonitor") {
        assert.deepEqual(Object.keys(obj.spec as object).sort(), ["endpoints", "selector"]);
        continue;
      }
      assert.deepEqual(modelErrors(obj), [], `${obj.kind} ${obj.metadata.name}`);
    }
    assert.deepEqual(modelErrors({ apiVersion: "apps/v1", kind: "Deployment", spec: { replica: 1 } }), ["Deployment.spec.replica: unknown field of V1DeploymentSpec"], "the check catches a typo");
  });

  test("the Deployment runs the operator with leader election, probes on the health listener, non-root", () => {
    const dep = chartManifests(release, DEFAULT_VALUES).find((o) => o.kind === "Deployment") as unknown as {
      spec: { replicas: number; template: { spec: { serviceAccountName: string; securityContext: { runAsNonRoot: boolean }; containers: Array<{ args: string[]; livenessProbe: { httpGet: { path: string } }; readinessProbe: { httpGet: { path: string } } }> } } };
    };
    const c = dep.spec.template.spec.containers[0];
    assert.deepEqual(c.args.slice(0, 8), ["operator", "--leader-elect", "--lease-namespace", "landfall-system", "--lease-name", "lf-landfall", "--identity", "$(POD_NAME)"]);
    assert.deepEqual((c as unknown as { env: unknown }).env, [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }], "the Lease holder is the pod's name");
    assert.equal(c.livenessProbe.httpGet.path, "/healthz");
    assert.equal(c.readinessProbe.httpGet.path, "/readyz");
    assert.equal(dep.spec.template.spec.securityContext.runAsNonRoot, true);
    assert.equal(dep.spec.template.spec.serviceAccountName, "lf-landfall");
    assert.ok(dep.spec.replicas >= 2, "several replicas: the Lease decides who leads");
  });

  test("RBAC is least privilege: no wildcards, Secrets read-only, Leases only in the release namespace", () => {
    const objects = chartManifests(release, DEFAULT_VALUES);
    for (const rule of clusterRules()) {
      assert.ok(![...rule.verbs, ...rule.resources, ...rule.apiGroups].includes("*"), JSON.stringify(rule));
    }
    const secrets = clusterRules().filter((r) => r.resources.includes("secrets"));
    assert.deepEqual(secrets.flatMap((r) => r.verbs).sort(), ["get", "list", "watch"]);
    assert.ok(!clusterRules().some((r) => r.apiGroups.includes("coordination.k8s.io")), "no cluster-wide Lease access");
    const role = objects.find((o) => o.kind === "Role") as unknown as { metadata: { namespace: string }; rules: Array<{ resources: string[]; verbs: string[] }> };
    assert.equal(role.metadata.namespace, "landfall-system");
    assert.deepEqual(role.rules, [{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] }]);
  });

  test("the chart's CRDs are the schemas' (structural, with the imageRef XOR importedDisk CEL rule)", () => {
    const crds = crdsFor(KINDS);
    for (const crd of crds) assert.deepEqual(modelErrors(crd), [], crd.metadata.name);
    const vm = crds.find((c) => c.spec.names.kind === "VirtualMachine");
    assert.ok(vm);
    const spec = (vm.spec.versions[0].schema.openAPIV3Schema as { properties: { spec: { "x-kubernetes-validations": Array<{ rule: string }> } } }).properties.spec;
    assert.deepEqual(
      spec["x-kubernetes-validations"].map((r) => r.rule),
      ["has(self.imageRef) != has(self.importedDisk)"],
    );
  });
});
