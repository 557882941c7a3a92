// "Adopt a VM": pick a target provider, list its VMs (inventory), preview the adoption of one that no
// VirtualMachine owns yet (the server's dry run: labels, tracking record, VirtualMachine, Cozystack manifests),
// then adopt it.
import { Alert, Button, Card, CardBody, CardTitle, CodeBlock, CodeBlockCode, Form, FormGroup, FormSelect, FormSelectOption, Modal, ModalBody, ModalFooter, ModalHeader, TextInput, Title } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useState } from "react";
import { objectPath } from "../api/client.ts";
import type { AdoptionPreview } from "../api/adoption.ts";
import type { Provider } from "../api/generated.ts";
import { useAction, useGet, useResourceList } from "../api/hooks.ts";
import { IMPORTED_PLURAL } from "../api/imported.ts";
import type { InventoryList } from "../api/inventory.ts";
import { useApi } from "../api/session.tsx";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { formatMemory } from "../model/format.ts";
import { adoptableVMs } from "../model/adoption.ts";
import { toYaml } from "../model/yaml.ts";

function PreviewDialog({ preview, adopting, error, onAdopt, onClose }: { preview: AdoptionPreview; adopting: boolean; error: unknown; onAdopt: () => void; onClose: () => void }) {
  const section = (title: string, testid: string, body: unknown) => (
    <>
      <Title headingLevel="h4" size="md" style={{ marginTop: "var(--pf-t--global--spacer--md)" }}>
        {title}
      </Title>
      <CodeBlock data-testid={testid}>
        <CodeBlockCode>{typeof body === "string" ? body : toYaml(body)}</CodeBlockCode>
      </CodeBlock>
    </>
  );
  const cozy = preview.cozystack;
  return (
    <Modal variant="large" isOpen onClose={onClose} aria-labelledby="adopt-preview-title" data-testid="adopt-preview">
      <ModalHeader title={`Adopt ${preview.vm.name}?`} labelId="adopt-preview-title" description={`${preview.vm.uuid} · ${preview.reason}`} />
      <ModalBody>
        <p>Adoption changes no disk and does not restart the VM. It writes:</p>
        {section("Labels on the VM", "preview-labels", preview.labels)}
        {preview.trackingRecord && section(`Tracking record (ConfigMap ${preview.trackingRecord.metadata.name})`, "preview-configmap", preview.trackingRecord)}
        {preview.virtualMachine && section(`VirtualMachine ${preview.virtualMachine.metadata.name}`, "preview-vm", preview.virtualMachine)}
        {cozy &&
          ("error" in cozy
            ? section("Cozystack (VMInstance/VMDisk)", "preview-cozystack", `# cannot be rendered: ${cozy.error}`)
            : section("Cozystack (VMInstance/VMDisk, for full adoption)", "preview-cozystack", cozy.objects.map((o) => `---\n${toYaml(o)}`).join("") + cozy.warnings.map((w) => `# warning: ${w}\n`).join("")))}
        {error ? <ErrorAlert error={error} title="Adoption failed" /> : null}
      </ModalBody>
      <ModalFooter>
        <Button variant="primary" isLoading={adopting} isDisabled={adopting} onClick={onAdopt}>
          Adopt
        </Button>
        <Button variant="link" onClick={onClose}>
          Cancel
        </Button>
      </ModalFooter>
    </Modal>
  );
}

/** Only target providers hold VMs to adopt; vSphere is a source. */
const TARGET_TYPES = new Set(["libvirt", "kubevirt"]);

export function AdoptForm() {
  const api = useApi();
  const providers = useResourceList<Provider>("providers");
  const targets = (providers.data?.items ?? []).filter((p) => TARGET_TYPES.has(p.spec.type));
  const [chosen, setChosen] = useState("");
  const [plan, setPlan] = useState("");
  const provider = targets.find((p) => `${p.metadata.namespace}/${p.metadata.name}` === chosen);
  const inventoryPath = provider ? `${objectPath("providers", provider.metadata.namespace ?? "default", provider.metadata.name)}/vms` : null;
  const inventory = useGet<InventoryList>(inventoryPath);
  const adoptPath = `${inventoryPath?.replace(/\/vms$/, "")}/adopt`;
  const body = (vm: string) => (plan.trim() ? { vm, plan: plan.trim() } : { vm });
  const previewing = useAction((vm: string) => api.post<AdoptionPreview>(`${adoptPath}?dryRun=All`, body(vm)), []);
  const adopt = useAction((vm: string) => api.post(adoptPath, body(vm)), ["virtualmachines", "configmaps", IMPORTED_PLURAL]);
  // Adopted here: hidden at once (the domain's owner label arrives with the controller's next pass), and the inventory is read again.
  const [adopted, setAdopted] = useState<ReadonlySet<string>>(new Set());
  const candidates = inventory.data?.kind === "TargetVMList" ? adoptableVMs(inventory.data.items).filter((vm) => !adopted.has(vm.uuid)) : [];
  return (
    <Card style={{ marginTop: "var(--pf-t--global--spacer--xl)" }} data-testid="adopt-form">
      <CardTitle>Adopt a VM</CardTitle>
      <CardBody>
        <Form isHorizontal onSubmit={(e) => e.preventDefault()}>
          <FormGroup label="Target provider" fieldId="adopt-provider">
            <FormSelect id="adopt-provider" value={chosen} onChange={(_e, v) => setChosen(v)} aria-label="Target provider">
              <FormSelectOption value="" label={targets.length ? "Choose a provider" : "No libvirt or KubeVirt providers"} isDisabled />
              {targets.map((p) => (
                <FormSelectOption key={p.metadata.uid ?? p.metadata.name} value={`${p.metadata.namespace}/${p.metadata.name}`} label={`${p.metadata.namespace}/${p.metadata.name} (${p.spec.type})`} />
              ))}
            </FormSelect>
          </FormGroup>
          <FormGroup label="Source plan (optional)" fieldId="adopt-plan">
            <TextInput id="adopt-plan" value={plan} onChange={(_e, v) => setPlan(v)} placeholder="recorded as original-plan" />
          </FormGroup>
        </Form>
        {providers.error ? <ErrorAlert error={providers.error} title="Could not load providers" /> : null}
        {inventory.error ? <ErrorAlert error={inventory.error} title="Could not list the provider's VMs" /> : null}
        {previewing.error ? <ErrorAlert error={previewing.error} title="This VM cannot be adopted" onClose={() => previewing.reset()} /> : null}
        {adopt.isSuccess && (
          <Alert variant="success" isInline title="Adopted" style={{ margin: "var(--pf-t--global--spacer--md) 0" }}>
            The VM is now listed above.
          </Alert>
        )}
        {provider && inventory.data && (candidates.length === 0 ? (
          <p style={{ marginTop: "var(--pf-t--global--spacer--md)" }}>Every VM on this provider is already managed by landfall.</p>
        ) : (
          <Table variant="compact" aria-label="Adoptable VMs" data-testid="adoptable-table">
            <Thead>
              <Tr>
                <Th>Name</Th>
                <Th>State</Th>
                <Th>CPUs</Th>
                <Th>Memory</Th>
                <Th>UUID</Th>
                <Th screenReaderText="Actions" />
              </Tr>
            </Thead>
            <Tbody>
              {candidates.map((vm) => (
                <Tr key={vm.uuid}>
                  <Td>{vm.name}</Td>
                  <Td>{vm.state}</Td>
                  <Td>{vm.cpus}</Td>
                  <Td>{formatMemory(vm.memoryMiB)}</Td>
                  <Td>{vm.uuid}</Td>
                  <Td isActionCell>
                    <Button size="sm" variant="primary" isLoading={previewing.isPending && previewing.variables === vm.uuid} isDisabled={previewing.isPending} onClick={() => {
                        adopt.reset();
                        previewing.mutate(vm.uuid);
                      }} aria-label={`Adopt ${vm.name}`}>
                      Adopt…
                    </Button>
                  </Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        ))}
      </CardBody>
      {previewing.data && (
        <PreviewDialog
          preview={previewing.data}
          adopting={adopt.isPending}
          error={adopt.error}
          onClose={() => previewing.reset()}
          onAdopt={() => {
            const uuid = (previewing.data as AdoptionPreview).vm.uuid;
            adopt.mutate(uuid, {
              onSuccess: () => {
                previewing.reset();
                setAdopted((old) => new Set([...old, uuid]));
                void inventory.refetch();
              },
            });
          }}
        />
      )}
    </Card>
  );
}
