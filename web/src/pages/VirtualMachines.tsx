// Virtual machines: every VirtualMachine, read page by page from the server (limit/continue) with server-side
// namespace and label filters, rendered as a windowed table (only the rows in view are in the DOM) and kept
// live by the watch; power actions and a details drawer.
import { PageSection, TextInput, Title, Toolbar, ToolbarContent, ToolbarItem } from "@patternfly/react-core";
import { Td, Th, Tr } from "@patternfly/react-table";
import { memo, useCallback, useState } from "react";
import type { VirtualMachine } from "../api/generated.ts";
import { usePagedList } from "../api/paged.ts";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { PhaseLabel } from "../components/PhaseLabel.tsx";
import { PowerActions } from "../components/PowerActions.tsx";
import { DetailsDrawer } from "../components/DetailsDrawer.tsx";
import { oneLine, WindowedTable } from "../components/WindowedTable.tsx";
import { formatMemory } from "../model/format.ts";
import { objectKey } from "../model/objects.ts";
import { diskSource, provenanceOf } from "../model/virtual-machines.ts";
import { VMDetails } from "./VMDetails.tsx";

const PAGE_SIZE = 500;
/** Every row has this height (cells do not wrap), which is what makes windowing exact. */
const ROW_HEIGHT = 45;
const COLUMNS = 9;
const cell = oneLine;

/** One row; memoised so scrolling renders only the rows that enter the window (a watch event replaces the object, so its row re-renders). */
const VMRow = memo(function VMRow({ vm, isSelected, onSelect }: { vm: VirtualMachine; isSelected: boolean; onSelect: (key: string) => void }) {
  const key = objectKey(vm);
  return (
    <Tr style={{ height: ROW_HEIGHT }} data-testid={`vm-row-${vm.metadata.namespace ?? "default"}-${vm.metadata.name}`} isClickable isRowSelected={isSelected} onRowClick={() => onSelect(key)}>
      <Td dataLabel="Name" style={cell}>
        <strong>{vm.metadata.name}</strong>
      </Td>
      <Td dataLabel="Namespace" style={cell}>
        {vm.metadata.namespace ?? "default"}
      </Td>
      <Td dataLabel="Phase" style={cell}>
        <PhaseLabel phase={vm.status?.phase} />
      </Td>
      <Td dataLabel="Disk source" style={cell}>
        {diskSource(vm)}
      </Td>
      <Td dataLabel="Provider" style={cell}>
        {vm.spec.providerRef.name}
      </Td>
      <Td dataLabel="CPUs">{vm.spec.cpus ?? 1}</Td>
      <Td dataLabel="Memory" style={cell}>
        {formatMemory(vm.spec.memoryMiB ?? 1024)}
      </Td>
      <Td dataLabel="Migrated from" style={cell}>
        {provenanceOf(vm).migratedFrom ?? "—"}
      </Td>
      <Td dataLabel="Actions" isActionCell style={cell}>
        <PowerActions vm={vm} />
      </Td>
    </Tr>
  );
});

export function VirtualMachinesPage() {
  const [namespace, setNamespace] = useState("");
  const [labelSelector, setLabelSelector] = useState("");
  const [applied, setApplied] = useState({ namespace: "", labelSelector: "" });
  const { query, items } = usePagedList<VirtualMachine>("virtualmachines", applied, PAGE_SIZE);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = query;
  const loadMore = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);
  // ?vm=namespace/name (the link from a migration) opens that VM's details.
  const [selected, setSelected] = useState<string | null>(() => new URLSearchParams(window.location.search).get("vm"));
  const selectedVM = items.find((vm) => objectKey(vm) === selected);
  const panel = selectedVM ? <VMDetails vm={selectedVM} onClose={() => setSelected(null)} /> : undefined;
  const apply = () => setApplied({ namespace: namespace.trim(), labelSelector: labelSelector.trim() });
  return (
    <DetailsDrawer panel={panel}>
      <PageSection>
            <Title headingLevel="h1" style={{ marginBottom: "var(--pf-t--global--spacer--md)" }}>
              Virtual machines
            </Title>
            <Toolbar>
              <ToolbarContent>
                <ToolbarItem>
                  <TextInput aria-label="Namespace filter" placeholder="Namespace (all)" value={namespace} onChange={(_e, v) => setNamespace(v)} onKeyDown={(e) => e.key === "Enter" && apply()} onBlur={apply} />
                </ToolbarItem>
                <ToolbarItem>
                  <TextInput aria-label="Label selector" placeholder="Label selector, e.g. landfall.dev/adopted=true" value={labelSelector} onChange={(_e, v) => setLabelSelector(v)} onKeyDown={(e) => e.key === "Enter" && apply()} onBlur={apply} />
                </ToolbarItem>
                <ToolbarItem alignSelf="center">
                  <span data-testid="vm-count">{`${items.length}${hasNextPage ? "+" : ""} ${items.length === 1 && !hasNextPage ? "VM" : "VMs"}`}</span>
                </ToolbarItem>
              </ToolbarContent>
            </Toolbar>
            {query.error ? <ErrorAlert error={query.error} title="Could not load virtual machines" /> : null}
            {query.data && items.length === 0 ? (
              <p>No virtual machines{applied.namespace || applied.labelSelector ? " match the filter" : " yet. Migrate one from the Inventory, or adopt one under Imported VMs"}.</p>
            ) : (
              <WindowedTable
                label="Virtual machines"
                testId="vm-table"
                scrollTestId="vm-scroll"
                rows={items}
                rowHeight={ROW_HEIGHT}
                columns={COLUMNS}
                onNeedMore={loadMore}
                header={
                  <Tr>
                    <Th>Name</Th>
                    <Th>Namespace</Th>
                    <Th>Phase</Th>
                    <Th>Disk source</Th>
                    <Th>Provider</Th>
                    <Th>CPUs</Th>
                    <Th>Memory</Th>
                    <Th>Migrated from</Th>
                    <Th screenReaderText="Actions" />
                  </Tr>
                }
                renderRow={(vm) => <VMRow key={objectKey(vm)} vm={vm} isSelected={objectKey(vm) === selected} onSelect={setSelected} />}
              />
            )}
      </PageSection>
    </DetailsDrawer>
  );
}
