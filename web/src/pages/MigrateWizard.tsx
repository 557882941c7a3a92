// The Migrate wizard: target Provider and names, network and storage maps (pre-filled from the inventory and
// checked), options, and a review step showing the YAML that will be applied. One VM creates a VMMigration;
// several create a VMImport. The API's field errors are shown next to the fields that caused them.
import {
  Alert,
  Checkbox,
  CodeBlock,
  CodeBlockCode,
  Form,
  FormSelect,
  FormSelectOption,
  Modal,
  Radio,
  TextInput,
  Wizard,
  WizardHeader,
  WizardStep,
} from "@patternfly/react-core";
import { useState } from "react";
import { collectionPath } from "../api/client.ts";
import type { Provider } from "../api/generated.ts";
import { useAction, useResourceList } from "../api/hooks.ts";
import type { SourceInventoryVM } from "../api/inventory.ts";
import { useApi } from "../api/session.tsx";
import { FormField, validated } from "../components/FormField.tsx";
import { sortFieldErrors } from "../model/field-errors.ts";
import { type MapEntry, type MigrationPlanValues, PLAN_FIELDS, planProblems, plannedObject, prefillNetworkMap, prefillStorageMap, suggestName } from "../model/migration-plan.ts";
import { supportsWarm } from "../model/warm.ts";
import { toYaml } from "../model/yaml.ts";
import { navigate } from "../router.ts";

const TARGET_TYPES = new Set(["libvirt", "kubevirt"]);
/** libvirt's user-mode networking: needs no host setup (domain-xml.ts). */
const DEFAULT_NETWORK = "user";

function MapEditor({ id, label, entries, onChange, errors }: { id: string; label: string; entries: MapEntry[]; onChange: (e: MapEntry[]) => void; errors?: readonly string[] }) {
  return (
    <FormField id={id} label={label} errors={errors}>
      {entries.length === 0 && <p>Nothing to map.</p>}
      {entries.map((entry, i) => (
        <div key={entry.source} style={{ display: "flex", gap: "var(--pf-t--global--spacer--sm)", alignItems: "center", marginBottom: "var(--pf-t--global--spacer--xs)" }}>
          <span style={{ minWidth: "12rem" }}>{entry.source} →</span>
          <TextInput
            aria-label={`${label}: target for ${entry.source}`}
            value={entry.target}
            validated={validated(entry.target.trim() ? undefined : ["empty"])}
            onChange={(_e, target) => onChange(entries.map((x, j) => (j === i ? { ...x, target } : x)))}
          />
        </div>
      ))}
    </FormField>
  );
}

export function MigrateWizard({ source, vms, onClose }: { source: Provider; vms: SourceInventoryVM[]; onClose: () => void }) {
  const api = useApi();
  const namespace = source.metadata.namespace ?? "default";
  const providers = useResourceList<Provider>("providers");
  const targets = (providers.data?.items ?? []).filter((p) => TARGET_TYPES.has(p.spec.type) && (p.metadata.namespace ?? "default") === namespace);
  const [v, setV] = useState<MigrationPlanValues>(() => ({
    namespace,
    sourceProvider: source.metadata.name,
    targetProvider: "",
    name: vms.length === 1 ? suggestName(vms[0].name) : `import-${suggestName(vms[0].name)}`,
    targetNames: Object.fromEntries(vms.map((vm) => [vm.name, suggestName(vm.name)])),
    networkMap: prefillNetworkMap(vms, DEFAULT_NETWORK),
    // The target's storage pool, as the first target Provider names it.
    storageMap: prefillStorageMap(vms, targets[0]?.spec.storagePool ?? "default"),
    mode: "cold",
    precopyInterval: "",
    cutoverAt: "",
    diskFormat: "qcow2",
    powerOn: true,
    verifyChecksums: true,
    bandwidthMiBps: "",
  }));
  const set = <K extends keyof MigrationPlanValues>(k: K, value: MigrationPlanValues[K]) => setV((old) => ({ ...old, [k]: value }));
  const targetProvider = v.targetProvider || targets[0]?.metadata.name || "";
  const plan = { ...v, targetProvider };
  const problems = planProblems(plan, vms);
  const planned = plannedObject(plan, vms);
  const create = useAction(() => api.post(collectionPath(planned.plural, namespace), planned.object), [planned.plural]);
  const apiErrors = sortFieldErrors(create.error, PLAN_FIELDS);
  const errorsOf = (id: keyof typeof PLAN_FIELDS): string[] | undefined => {
    const all = [...(problems[id] ? [problems[id]] : []), ...(apiErrors.byField[id] ?? [])];
    return all.length ? all : undefined;
  };
  const stepStatus = (ids: (keyof typeof PLAN_FIELDS)[]) => (ids.some((id) => errorsOf(id)) ? "error" : "default");
  const invalid = Object.keys(problems).length > 0;
  const warmAvailable = supportsWarm(source.spec.type) && vms.length === 1;
  return (
    <Modal isOpen onEscapePress={onClose} variant="large" aria-label="Migrate" data-testid="migrate-wizard">
      <Wizard
        height={620}
        onClose={onClose}
        header={<WizardHeader title={vms.length === 1 ? `Migrate ${vms[0].name}` : `Migrate ${vms.length} VMs`} onClose={onClose} closeButtonAriaLabel="Close the wizard" />}
      >
        <WizardStep name="Target" id="step-target" status={stepStatus(["targetProvider", "name", "targetNames"])}>
          <Form onSubmit={(e) => e.preventDefault()}>
            <FormField id="wizard-target" label="Target provider" isRequired errors={errorsOf("targetProvider")}>
              <FormSelect id="wizard-target" value={targetProvider} onChange={(_e, x) => set("targetProvider", x)}>
                {targets.length === 0 && <FormSelectOption value="" label={`No libvirt provider in namespace ${namespace}`} isDisabled />}
                {targets.map((p) => (
                  <FormSelectOption key={p.metadata.name} value={p.metadata.name} label={`${p.metadata.name} (${p.spec.type})`} />
                ))}
              </FormSelect>
            </FormField>
            <FormField id="wizard-name" label={vms.length === 1 ? "Name (migration and target VM)" : "VMImport name"} isRequired errors={errorsOf("name")}>
              <TextInput id="wizard-name" value={v.name} validated={validated(errorsOf("name"))} onChange={(_e, x) => set("name", x)} />
            </FormField>
            {vms.length > 1 && (
              <FormField id="wizard-target-names" label="Target VM names" errors={errorsOf("targetNames")}>
                {vms.map((vm) => (
                  <div key={vm.name} style={{ display: "flex", gap: "var(--pf-t--global--spacer--sm)", alignItems: "center" }}>
                    <span style={{ minWidth: "12rem" }}>{vm.name} →</span>
                    <TextInput aria-label={`Target name for ${vm.name}`} value={v.targetNames[vm.name] ?? ""} onChange={(_e, x) => set("targetNames", { ...v.targetNames, [vm.name]: x })} />
                  </div>
                ))}
              </FormField>
            )}
          </Form>
        </WizardStep>
        <WizardStep name="Network and storage" id="step-maps" status={stepStatus(["networkMap", "storageMap"])}>
          <Form onSubmit={(e) => e.preventDefault()}>
            <MapEditor id="wizard-network-map" label="Network map" entries={v.networkMap} onChange={(x) => set("networkMap", x)} errors={errorsOf("networkMap")} />
            <p style={{ fontSize: "var(--pf-t--global--font--size--sm)" }}>Targets: a libvirt network name, bridge:NAME for a host bridge, or user for user-mode networking.</p>
            <MapEditor id="wizard-storage-map" label="Storage map" entries={v.storageMap} onChange={(x) => set("storageMap", x)} errors={errorsOf("storageMap")} />
          </Form>
        </WizardStep>
        <WizardStep name="Options" id="step-options" status={stepStatus(["bandwidthMiBps", "mode", "precopyInterval", "cutoverAt"])}>
          <Form onSubmit={(e) => e.preventDefault()}>
            <FormField id="wizard-mode" label="Mode" errors={errorsOf("mode")}>
              <Radio id="wizard-mode-cold" name="mode" label="Cold: power the source off, copy, create" isChecked={v.mode === "cold"} onChange={() => set("mode", "cold")} />
              <Radio id="wizard-mode-snapshot" name="mode" label="Snapshot: copy from a snapshot while the source runs" isChecked={v.mode === "snapshot"} onChange={() => set("mode", "snapshot")} />
              <Radio
                id="wizard-mode-warm"
                name="mode"
                label="Warm: copy while the source runs, then only the changes; short downtime at cutover"
                description={warmAvailable ? undefined : `needs changed-block tracking at the source (vSphere)${vms.length > 1 ? " and a single VM" : ""}`}
                isDisabled={!warmAvailable}
                isChecked={v.mode === "warm"}
                onChange={() => set("mode", "warm")}
              />
            </FormField>
            {v.mode === "warm" && (
              <>
                <FormField id="wizard-precopy-interval" label="Precopy interval (e.g. 10m, 30s; empty: 10m)" errors={errorsOf("precopyInterval")}>
                  <TextInput id="wizard-precopy-interval" value={v.precopyInterval} placeholder="10m" validated={validated(errorsOf("precopyInterval"))} onChange={(_e, x) => set("precopyInterval", x)} />
                </FormField>
                <FormField id="wizard-cutover" label="Cutover at (empty: cut over by hand from the migration's page)" errors={errorsOf("cutoverAt")}>
                  <TextInput id="wizard-cutover" type="datetime-local" value={v.cutoverAt} validated={validated(errorsOf("cutoverAt"))} onChange={(_e, x) => set("cutoverAt", x)} />
                </FormField>
              </>
            )}
            <FormField id="wizard-format" label="Disk format">
              <FormSelect id="wizard-format" value={v.diskFormat} onChange={(_e, x) => set("diskFormat", x as MigrationPlanValues["diskFormat"])}>
                <FormSelectOption value="qcow2" label="qcow2" />
                <FormSelectOption value="raw" label="raw" />
              </FormSelect>
            </FormField>
            <Checkbox id="wizard-power-on" label="Power on the target VM" isChecked={v.powerOn} onChange={(_e, c) => set("powerOn", c)} />
            {vms.length === 1 && (
              <>
                <Checkbox id="wizard-verify" label="Verify checksums at both ends" isChecked={v.verifyChecksums} onChange={(_e, c) => set("verifyChecksums", c)} />
                <FormField id="wizard-bandwidth" label="Bandwidth cap (MiB/s, empty for none)" errors={errorsOf("bandwidthMiBps")}>
                  <TextInput id="wizard-bandwidth" value={v.bandwidthMiBps} validated={validated(errorsOf("bandwidthMiBps"))} onChange={(_e, x) => set("bandwidthMiBps", x)} />
                </FormField>
              </>
            )}
          </Form>
        </WizardStep>
        <WizardStep
          name="Review"
          id="step-review"
          footer={{ nextButtonText: "Create", isNextDisabled: invalid || create.isPending, onNext: () => create.mutate(undefined, { onSuccess: () => navigate("/migrations") }) }}
        >
          {invalid && (
            <Alert variant="warning" isInline title="Fix these before creating" data-testid="plan-problems">
              <ul>
                {Object.entries(problems).map(([k, m]) => (
                  <li key={k}>{m}</li>
                ))}
              </ul>
            </Alert>
          )}
          {create.error ? (
            <Alert variant="danger" isInline title="The API refused it" data-testid="api-error">
              <p>{(create.error as Error).message}</p>
            </Alert>
          ) : null}
          <p>
            This {planned.object.kind} will be created in namespace <strong>{namespace}</strong>:
          </p>
          <CodeBlock data-testid="review-yaml">
            <CodeBlockCode>{toYaml(planned.object)}</CodeBlockCode>
          </CodeBlock>
        </WizardStep>
      </Wizard>
    </Modal>
  );
}
