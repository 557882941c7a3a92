// "Adopt a VM": pick a target provider, list its VMs (inventory), adopt one that no VirtualMachine owns yet.
import { Alert, Button, Card, CardBody, CardTitle, Form, FormGroup, FormSelect, FormSelectOption, TextInput } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useState } from "react";
import { objectPath } from "../api/client.ts";
import type { Provider } from "../api/generated.ts";
import { useAction, useGet, useResourceList } from "../api/hooks.ts";
import type { InventoryList } from "../api/inventory.ts";
import { useApi } from "../api/session.tsx";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { formatMemory } from "../model/format.ts";
import { adoptableVMs } from "../model/adoption.ts";

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
  const adopt = useAction(
    (vm: string) => api.post(`${inventoryPath?.replace(/\/vms$/, "")}/adopt`, plan.trim() ? { vm, plan: plan.trim() } : { vm }),
    ["virtualmachines", "configmaps"],
  );
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
        {adopt.error ? <ErrorAlert error={adopt.error} title="Adoption failed" onClose={() => adopt.reset()} /> : null}
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
                    <Button size="sm" variant="primary" isDisabled={adopt.isPending} onClick={() =>
                        adopt.mutate(vm.uuid, {
                          onSuccess: () => {
                            setAdopted((old) => new Set([...old, vm.uuid]));
                            void inventory.refetch();
                          },
                        })
                      }>
                      Adopt
                    </Button>
                  </Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        ))}
      </CardBody>
    </Card>
  );
}
