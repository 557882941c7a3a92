// Imported VMs (the Cozystack design's section): adopted VMs with their source plan, source type and
// adoption time from the tracking ConfigMap; Start/Stop; Unadopt (the VM keeps running); and a form to adopt
// a VM that another tool created.
import { Button, Modal, ModalBody, ModalFooter, ModalHeader, PageSection, Title } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useState } from "react";
import { objectPath } from "../api/client.ts";
import type { ConfigMap, VirtualMachine } from "../api/generated.ts";
import { useAction, useResourceList } from "../api/hooks.ts";
import { useApi, useSession } from "../api/session.tsx";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { QueryState } from "../components/Loading.tsx";
import { PhaseLabel } from "../components/PhaseLabel.tsx";
import { PowerActions } from "../components/PowerActions.tsx";
import { formatTime } from "../model/format.ts";
import { adoptedRows } from "../model/virtual-machines.ts";
import { AdoptForm } from "./AdoptForm.tsx";

function UnadoptDialog({ vm, onClose }: { vm: VirtualMachine; onClose: () => void }) {
  const api = useApi();
  const unadopt = useAction(() => api.post(`${objectPath("virtualmachines", vm.metadata.namespace ?? "default", vm.metadata.name)}/unadopt`), ["virtualmachines", "configmaps"]);
  return (
    <Modal variant="small" isOpen onClose={onClose} aria-labelledby="unadopt-title" data-testid="unadopt-dialog">
      <ModalHeader title={`Unadopt ${vm.metadata.name}?`} labelId="unadopt-title" titleIconVariant="warning" />
      <ModalBody>
        <p>
          landfall stops managing <strong>{vm.metadata.name}</strong>: it removes the adoption labels, the tracking ConfigMap
          vm-adopted-{vm.metadata.name} and the VirtualMachine resource. <strong>The VM keeps running</strong>, untouched — its domain and
          disks stay as they are.
        </p>
        {unadopt.error ? <ErrorAlert error={unadopt.error} title="Unadopt failed" /> : null}
      </ModalBody>
      <ModalFooter>
        <Button variant="danger" isLoading={unadopt.isPending} isDisabled={unadopt.isPending} onClick={() => unadopt.mutate(undefined, { onSuccess: onClose })}>
          Unadopt
        </Button>
        <Button variant="link" onClick={onClose}>
          Cancel
        </Button>
      </ModalFooter>
    </Modal>
  );
}

export function ImportedVMsPage() {
  const vms = useResourceList<VirtualMachine>("virtualmachines", { live: true });
  const configMaps = useResourceList<ConfigMap>("configmaps");
  const [unadopting, setUnadopting] = useState<VirtualMachine | null>(null);
  const { identity, canWrite } = useSession();
  return (
    <PageSection>
      <Title headingLevel="h1" style={{ marginBottom: "var(--pf-t--global--spacer--md)" }}>
        Imported VMs
      </Title>
      {configMaps.error ? <ErrorAlert error={configMaps.error} title="Could not load adoption records (ConfigMaps)" /> : null}
      <QueryState query={vms} what="virtual machines">
        {(list) => {
          const rows = adoptedRows(list.items, configMaps.data?.items ?? []);
          return rows.length === 0 ? (
            <p>No adopted VMs yet.</p>
          ) : (
            <Table aria-label="Imported VMs" variant="compact" data-testid="imported-table">
              <Thead>
                <Tr>
                  <Th>Name</Th>
                  <Th>Namespace</Th>
                  <Th>Phase</Th>
                  <Th>Source plan</Th>
                  <Th>Source type</Th>
                  <Th>Adopted at</Th>
                  <Th screenReaderText="Actions" />
                </Tr>
              </Thead>
              <Tbody>
                {rows.map((r) => (
                  <Tr key={r.key} data-testid={`imported-row-${r.vm.metadata.namespace ?? "default"}-${r.vm.metadata.name}`}>
                    <Td dataLabel="Name">
                      <strong>{r.vm.metadata.name}</strong>
                    </Td>
                    <Td dataLabel="Namespace">{r.vm.metadata.namespace ?? "default"}</Td>
                    <Td dataLabel="Phase">
                      <PhaseLabel phase={r.vm.status?.phase} />
                    </Td>
                    <Td dataLabel="Source plan">{r.sourcePlan ?? "—"}</Td>
                    <Td dataLabel="Source type">{r.sourceType ?? "—"}</Td>
                    <Td dataLabel="Adopted at">{formatTime(r.adoptedAt)}</Td>
                    <Td isActionCell>
                      <div style={{ display: "flex", gap: "var(--pf-t--global--spacer--sm)" }}>
                        <PowerActions vm={r.vm} withRestart={false} />
                        {canWrite(r.vm.metadata.namespace ?? "default") && (
                          <Button variant="link" size="sm" isDanger onClick={() => setUnadopting(r.vm)} aria-label={`Unadopt ${r.vm.metadata.name}`}>
                            Unadopt
                          </Button>
                        )}
                      </div>
                    </Td>
                  </Tr>
                ))}
              </Tbody>
            </Table>
          );
        }}
      </QueryState>
      {unadopting && <UnadoptDialog vm={unadopting} onClose={() => setUnadopting(null)} />}
      {identity && identity.role !== "viewer" && <AdoptForm />}
    </PageSection>
  );
}
