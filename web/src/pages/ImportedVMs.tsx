// Imported VMs (the Cozystack design's section): adopted VMs with their source plan, source type and
// adoption time from the tracking ConfigMap, read page by page from the server with its filters (label
// selector, plan, source type), kept live by the VirtualMachine watches and rendered as a windowed table;
// Start/Stop; Unadopt (the VM keeps running); and a form to adopt a VM that another tool created.
import { Bullseye, Button, Modal, ModalBody, ModalFooter, ModalHeader, PageSection, Spinner, TextInput, Title, Toolbar, ToolbarContent, ToolbarItem } from "@patternfly/react-core";
import { Td, Th, Tr } from "@patternfly/react-table";
import { useCallback, useState } from "react";
import { objectPath } from "../api/client.ts";
import type { VirtualMachine } from "../api/generated.ts";
import { useAction } from "../api/hooks.ts";
import { IMPORTED_PLURAL, useImportedVMs } from "../api/imported.ts";
import { useApi, useSession } from "../api/session.tsx";
import { useDebouncedValue } from "../components/debounce.ts";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { PhaseLabel } from "../components/PhaseLabel.tsx";
import { PowerActions } from "../components/PowerActions.tsx";
import { oneLine, WindowedTable } from "../components/WindowedTable.tsx";
import { formatTime } from "../model/format.ts";
import { type AdoptedRow, adoptedRow, type ImportedFilter, recordKey, recordOf } from "../model/imported-vms.ts";
import { AdoptForm } from "./AdoptForm.tsx";

/** Every row has this height (cells do not wrap), which is what makes windowing exact. */
const ROW_HEIGHT = 45;
const COLUMNS = 7;
const cell = oneLine;
const PAGE_SIZE = 500;
/** "1 adopted VM", "500+ adopted VMs match" (+: more pages to read). */
const countLabel = (n: number, more: boolean, filtered: boolean): string => (n === 1 && !more ? `1 adopted VM${filtered ? " matches" : ""}` : `${n}${more ? "+" : ""} adopted VMs${filtered ? " match" : ""}`);
const FILTER_DELAY_MS = 300;

function ImportedRow({ row, mayUnadopt, onUnadopt }: { row: AdoptedRow; mayUnadopt: boolean; onUnadopt: (vm: VirtualMachine) => void }) {
  const { vm } = row;
  return (
    <Tr style={{ height: ROW_HEIGHT }} data-testid={`imported-row-${vm.metadata.namespace ?? "default"}-${vm.metadata.name}`}>
      <Td dataLabel="Name" style={cell}>
        <strong>{vm.metadata.name}</strong>
      </Td>
      <Td dataLabel="Namespace" style={cell}>
        {vm.metadata.namespace ?? "default"}
      </Td>
      <Td dataLabel="Phase" style={cell}>
        <PhaseLabel phase={vm.status?.phase} />
      </Td>
      <Td dataLabel="Source plan" style={cell}>
        {row.sourcePlan ?? "—"}
      </Td>
      <Td dataLabel="Source type" style={cell}>
        {row.sourceType ?? "—"}
      </Td>
      <Td dataLabel="Adopted at" style={cell}>
        {formatTime(row.adoptedAt)}
      </Td>
      <Td isActionCell style={cell}>
        <div style={{ display: "flex", gap: "var(--pf-t--global--spacer--sm)" }}>
          <PowerActions vm={vm} withRestart={false} />
          {mayUnadopt && (
            <Button variant="link" size="sm" isDanger onClick={() => onUnadopt(vm)} aria-label={`Unadopt ${vm.metadata.name}`}>
              Unadopt
            </Button>
          )}
        </div>
      </Td>
    </Tr>
  );
}

function UnadoptDialog({ vm, onClose }: { vm: VirtualMachine; onClose: () => void }) {
  const api = useApi();
  const unadopt = useAction(() => api.post(`${objectPath("virtualmachines", vm.metadata.namespace ?? "default", vm.metadata.name)}/unadopt`), ["virtualmachines", "configmaps", IMPORTED_PLURAL]);
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
  const [unadopting, setUnadopting] = useState<VirtualMachine | null>(null);
  const { identity, canWrite } = useSession();
  const [typed, setTyped] = useState<ImportedFilter>({ labelSelector: "", plan: "", sourceType: "" });
  const filter = useDebouncedValue(typed, FILTER_DELAY_MS);
  const { query, items } = useImportedVMs(filter, PAGE_SIZE);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = query;
  const loadMore = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);
  const pages = query.data?.pages ?? [];
  const filtered = filter.labelSelector !== "" || filter.plan !== "" || filter.sourceType !== "";
  return (
    <PageSection>
      <Title headingLevel="h1" style={{ marginBottom: "var(--pf-t--global--spacer--md)" }}>
        Imported VMs
      </Title>
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem>
            <TextInput aria-label="Filter by label" placeholder="Label selector, e.g. team=web" value={typed.labelSelector} onChange={(_e, labelSelector) => setTyped((f) => ({ ...f, labelSelector }))} />
          </ToolbarItem>
          <ToolbarItem>
            <TextInput aria-label="Filter by plan" placeholder="Source plan" value={typed.plan} onChange={(_e, plan) => setTyped((f) => ({ ...f, plan }))} />
          </ToolbarItem>
          <ToolbarItem>
            <TextInput aria-label="Filter by source type" placeholder="Source type, e.g. vmware" value={typed.sourceType} onChange={(_e, sourceType) => setTyped((f) => ({ ...f, sourceType: sourceType.trim() }))} />
          </ToolbarItem>
          <ToolbarItem alignSelf="center">
            <span data-testid="imported-count">{countLabel(items.length, hasNextPage, filtered)}</span>
          </ToolbarItem>
        </ToolbarContent>
      </Toolbar>
      {query.error ? <ErrorAlert error={query.error} title="Could not load the imported VMs" /> : null}
      {query.isPending ? (
        <Bullseye>
          <Spinner aria-label="Loading imported VMs" />
        </Bullseye>
      ) : items.length === 0 ? (
        <p>{filtered ? "No adopted VMs match the filter." : "No adopted VMs yet."}</p>
      ) : (
        <WindowedTable
          label="Imported VMs"
          testId="imported-table"
          scrollTestId="imported-scroll"
          rows={items}
          rowHeight={ROW_HEIGHT}
          columns={COLUMNS}
          onNeedMore={loadMore}
          header={
            <Tr>
              <Th>Name</Th>
              <Th>Namespace</Th>
              <Th>Phase</Th>
              <Th>Source plan</Th>
              <Th>Source type</Th>
              <Th>Adopted at</Th>
              <Th screenReaderText="Actions" />
            </Tr>
          }
          renderRow={(vm) => <ImportedRow key={recordKey(vm)} row={adoptedRow(vm, recordOf(pages, vm))} mayUnadopt={canWrite(vm.metadata.namespace ?? "default")} onUnadopt={setUnadopting} />}
        />
      )}
      {unadopting && <UnadoptDialog vm={unadopting} onClose={() => setUnadopting(null)} />}
      {identity && identity.role !== "viewer" && <AdoptForm />}
    </PageSection>
  );
}
