// Imported VMs (the Cozystack design's section): adopted VMs with their source plan, source type and
// adoption time from the tracking ConfigMap, rendered as a windowed table (only the rows in view are in the DOM);
// Start/Stop; Unadopt (the VM keeps running); and a form to adopt a VM that another tool created.
import { Button, FormSelect, FormSelectOption, Modal, ModalBody, ModalFooter, ModalHeader, PageSection, TextInput, Title, Toolbar, ToolbarContent, ToolbarItem } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useState } from "react";
import { Spacer, useRowWindow } from "../components/VirtualRows.tsx";
import { objectPath } from "../api/client.ts";
import type { ConfigMap, VirtualMachine } from "../api/generated.ts";
import { useAction, useResourceList } from "../api/hooks.ts";
import { useApi, useSession } from "../api/session.tsx";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { QueryState } from "../components/Loading.tsx";
import { PhaseLabel } from "../components/PhaseLabel.tsx";
import { PowerActions } from "../components/PowerActions.tsx";
import { formatTime } from "../model/format.ts";
import { type AdoptedFilter, adoptedRows, filterAdoptedRows } from "../model/virtual-machines.ts";
import { AdoptForm } from "./AdoptForm.tsx";

/** Every row has this height (cells do not wrap), which is what makes windowing exact. */
const ROW_HEIGHT = 45;
const COLUMNS = 7;
const cell = { whiteSpace: "nowrap", overflow: "hidden", textOverflow: "ellipsis" } as const;
/** The VMs are one list read: there is no next page to ask for. */
const NO_MORE = () => undefined;

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
  const [filter, setFilter] = useState<AdoptedFilter>({ label: "", plan: "", sourceType: "" });
  const all = adoptedRows(vms.data?.items ?? [], configMaps.data?.items ?? []);
  const sourceTypes = [...new Set(all.map((r) => r.sourceType).filter((t): t is string => t !== undefined))].sort();
  const rows = filterAdoptedRows(all, filter);
  const rowWindow = useRowWindow(rows.length, ROW_HEIGHT, NO_MORE);
  return (
    <PageSection>
      <Title headingLevel="h1" style={{ marginBottom: "var(--pf-t--global--spacer--md)" }}>
        Imported VMs
      </Title>
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem>
            <TextInput aria-label="Filter by label" placeholder="Label, e.g. team=web" value={filter.label} onChange={(_e, label) => setFilter((f) => ({ ...f, label }))} />
          </ToolbarItem>
          <ToolbarItem>
            <TextInput aria-label="Filter by plan" placeholder="Source plan" value={filter.plan} onChange={(_e, plan) => setFilter((f) => ({ ...f, plan }))} />
          </ToolbarItem>
          <ToolbarItem>
            <FormSelect aria-label="Filter by source type" value={filter.sourceType} onChange={(_e, sourceType) => setFilter((f) => ({ ...f, sourceType }))}>
              <FormSelectOption value="" label="Any source type" />
              {sourceTypes.map((t) => (
                <FormSelectOption key={t} value={t} label={t} />
              ))}
            </FormSelect>
          </ToolbarItem>
        </ToolbarContent>
      </Toolbar>
      {configMaps.error ? <ErrorAlert error={configMaps.error} title="Could not load adoption records (ConfigMaps)" /> : null}
      <QueryState query={vms} what="virtual machines">
        {() =>
          rows.length === 0 ? (
            <p>{all.length === 0 ? "No adopted VMs yet." : "No adopted VMs match the filter."}</p>
          ) : (
            <div ref={rowWindow.ref} onScroll={rowWindow.onScroll} style={{ maxHeight: "calc(100vh - 260px)", overflow: "auto" }} data-testid="imported-scroll">
              <Table aria-label="Imported VMs" variant="compact" data-testid="imported-table" isStickyHeader>
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
                  <Spacer height={rowWindow.window.padTop} colSpan={COLUMNS} />
                  {rows.slice(rowWindow.window.start, rowWindow.window.end).map((r) => (
                    <Tr key={r.key} style={{ height: ROW_HEIGHT }} data-testid={`imported-row-${r.vm.metadata.namespace ?? "default"}-${r.vm.metadata.name}`}>
                      <Td dataLabel="Name" style={cell}>
                        <strong>{r.vm.metadata.name}</strong>
                      </Td>
                      <Td dataLabel="Namespace" style={cell}>
                        {r.vm.metadata.namespace ?? "default"}
                      </Td>
                      <Td dataLabel="Phase" style={cell}>
                        <PhaseLabel phase={r.vm.status?.phase} />
                      </Td>
                      <Td dataLabel="Source plan" style={cell}>
                        {r.sourcePlan ?? "—"}
                      </Td>
                      <Td dataLabel="Source type" style={cell}>
                        {r.sourceType ?? "—"}
                      </Td>
                      <Td dataLabel="Adopted at" style={cell}>
                        {formatTime(r.adoptedAt)}
                      </Td>
                      <Td isActionCell style={cell}>
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
                  <Spacer height={rowWindow.window.padBottom} colSpan={COLUMNS} />
                </Tbody>
              </Table>
            </div>
          )
        }
      </QueryState>
      {unadopting && <UnadoptDialog vm={unadopting} onClose={() => setUnadopting(null)} />}
      {identity && identity.role !== "viewer" && <AdoptForm />}
    </PageSection>
  );
}
