// Inventory: a source Provider's VMs (power, guest OS, CPUs, memory, disks with size/format/transport,
// snapshots, networks) read page by page from the server's cached read of the hypervisor, with search and a
// power filter applied on the server, rendered as a windowed table (a VM's disks open in a drawer); select one
// or many and open the Migrate wizard.
import { Bullseye, Button, FormSelect, FormSelectOption, PageSection, SearchInput, Spinner, Title, Toolbar, ToolbarContent, ToolbarItem } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useCallback, useState } from "react";
import { objectPath } from "../api/client.ts";
import type { Provider } from "../api/generated.ts";
import { useResourceList } from "../api/hooks.ts";
import type { SourceInventoryVM } from "../api/inventory.ts";
import { useInventoryPages } from "../api/inventory-pages.ts";
import { useSession } from "../api/session.tsx";
import { useDebouncedValue } from "../components/debounce.ts";
import { DetailsDrawer, DetailsPanel } from "../components/DetailsDrawer.tsx";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { oneLine, WindowedTable } from "../components/WindowedTable.tsx";
import { formatBytes, formatMemory, formatTime } from "../model/format.ts";
import { diskFormatOf, totalDiskBytes } from "../model/inventory-view.ts";
import { MigrateWizard } from "./MigrateWizard.tsx";

const SOURCE_TYPES = new Set(["vsphere", "proxmox"]);
const PAGE_SIZE = 500;
const SEARCH_DELAY_MS = 300;
/** Every row has this height (cells do not wrap), which is what makes windowing exact. */
const ROW_HEIGHT = 45;
const cell = oneLine;
const countLabel = (n: number, filtered: boolean): string => (n === 1 ? `1 VM${filtered ? " matches" : ""}` : `${n} VMs${filtered ? " match" : ""}`);

function VMFacts({ vm }: { vm: SourceInventoryVM }) {
  return (
    <div data-testid={`inventory-details-${vm.name}`}>
      <Table variant="compact" aria-label={`Disks of ${vm.name}`}>
        <Thead>
          <Tr>
            <Th>Disk</Th>
            <Th>File</Th>
            <Th>Datastore</Th>
            <Th>Size</Th>
            <Th>Format</Th>
            <Th>Chain</Th>
            <Th>Readable by</Th>
          </Tr>
        </Thead>
        <Tbody>
          {(vm.disks ?? []).map((d) => (
            <Tr key={d.key}>
              <Td>{d.label}</Td>
              <Td>{d.fileName}</Td>
              <Td>{d.datastore}</Td>
              <Td>{formatBytes(d.capacityBytes)}</Td>
              <Td>{diskFormatOf(d)}</Td>
              <Td>{d.chain?.length ?? 1} layer(s)</Td>
              <Td>{d.readableBy?.join(", ") ?? "—"}</Td>
            </Tr>
          ))}
        </Tbody>
      </Table>
      <p style={{ marginTop: "var(--pf-t--global--spacer--sm)" }}>
        Networks: {(vm.nics ?? []).map((n) => `${n.network} (${n.model}, ${n.macAddress})`).join("; ") || "none"} · Firmware: {vm.firmware ?? "—"} · UUID: {vm.uuid ?? "—"}
      </p>
    </div>
  );
}

export function InventoryPage() {
  const providers = useResourceList<Provider>("providers");
  const { identity } = useSession();
  const sources = (providers.data?.items ?? []).filter((p) => SOURCE_TYPES.has(p.spec.type));
  const [chosen, setChosen] = useState("");
  const provider = sources.find((p) => objectPath("providers", p.metadata.namespace ?? "default", p.metadata.name) === chosen) ?? (chosen === "" ? sources[0] : undefined);
  const path = provider ? objectPath("providers", provider.metadata.namespace ?? "default", provider.metadata.name) : null;
  const [search, setSearch] = useState("");
  const [power, setPower] = useState("");
  const [refreshes, setRefreshes] = useState(0);
  const filter = { search: useDebouncedValue(search, SEARCH_DELAY_MS), power };
  const { query, items } = useInventoryPages(path, filter, PAGE_SIZE, refreshes);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = query;
  const loadMore = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);
  // Selected VMs by id, kept when a search hides them.
  const [selected, setSelected] = useState<ReadonlyMap<string, SourceInventoryVM>>(new Map());
  const [shown, setShown] = useState<SourceInventoryVM | null>(null);
  const [migrating, setMigrating] = useState<SourceInventoryVM[] | null>(null);
  const toggle = (vm: SourceInventoryVM) =>
    setSelected((s) => {
      const next = new Map(s);
      if (next.has(vm.id)) next.delete(vm.id);
      else next.set(vm.id, vm);
      return next;
    });
  const mayMigrate = identity !== null && identity !== undefined && identity.role !== "viewer";
  const columns = mayMigrate ? 10 : 9;
  const pages = query.data?.pages ?? [];
  const last = pages[pages.length - 1];
  const total = items.length + (last?.metadata.remainingItemCount ?? 0);
  const panel = shown ? (
    <DetailsPanel title={shown.name} onClose={() => setShown(null)}>
      <VMFacts vm={shown} />
    </DetailsPanel>
  ) : undefined;
  return (
    <DetailsDrawer panel={panel}>
      <PageSection>
        <Title headingLevel="h1" style={{ marginBottom: "var(--pf-t--global--spacer--md)" }}>
          Inventory
        </Title>
        <Toolbar>
          <ToolbarContent>
            <ToolbarItem>
              <FormSelect
                aria-label="Source provider"
                value={path ?? ""}
                onChange={(_e, v) => {
                  setChosen(v);
                  setSelected(new Map());
                  setShown(null);
                }}
              >
                {sources.length === 0 && <FormSelectOption value="" label="No source providers: add a vSphere provider" isDisabled />}
                {sources.map((p) => {
                  const value = objectPath("providers", p.metadata.namespace ?? "default", p.metadata.name);
                  return <FormSelectOption key={value} value={value} label={`${p.metadata.namespace ?? "default"}/${p.metadata.name}`} />;
                })}
              </FormSelect>
            </ToolbarItem>
            <ToolbarItem>
              <SearchInput aria-label="Search VMs" placeholder="Name or guest OS" value={search} onChange={(_e, v) => setSearch(v)} onClear={() => setSearch("")} />
            </ToolbarItem>
            <ToolbarItem>
              <FormSelect aria-label="Power state" value={power} onChange={(_e, v) => setPower(v)}>
                <FormSelectOption value="" label="Any power state" />
                <FormSelectOption value="poweredOn" label="Powered on" />
                <FormSelectOption value="poweredOff" label="Powered off" />
                <FormSelectOption value="suspended" label="Suspended" />
              </FormSelect>
            </ToolbarItem>
            <ToolbarItem>
              <Button variant="secondary" isDisabled={!path || query.isFetching} onClick={() => setRefreshes((n) => n + 1)}>
                Refresh
              </Button>
            </ToolbarItem>
            {mayMigrate && (
              <ToolbarItem>
                <Button variant="primary" isDisabled={selected.size === 0} onClick={() => setMigrating([...selected.values()])}>
                  Migrate{selected.size ? ` (${selected.size})` : ""}
                </Button>
              </ToolbarItem>
            )}
            {pages[0] && (
              <ToolbarItem alignSelf="center">
                <span data-testid="inventory-count">{`${countLabel(total, Boolean(filter.search || filter.power))} · read ${formatTime(pages[0].metadata.readAt)}`}</span>
              </ToolbarItem>
            )}
          </ToolbarContent>
        </Toolbar>
        {providers.error ? <ErrorAlert error={providers.error} title="Could not load providers" /> : null}
        {query.error ? <ErrorAlert error={query.error} title="Could not list the provider's VMs" /> : null}
        {path && query.isPending ? (
          <Bullseye>
            <Spinner aria-label="Reading the inventory" />
          </Bullseye>
        ) : null}
        {query.data && (
          <WindowedTable
            label="Source VMs"
            testId="inventory-table"
            scrollTestId="inventory-scroll"
            rows={items}
            rowHeight={ROW_HEIGHT}
            columns={columns}
            onNeedMore={loadMore}
            header={
              <Tr>
                {mayMigrate && <Th screenReaderText="Select" />}
                <Th>Name</Th>
                <Th>Power</Th>
                <Th>Guest OS</Th>
                <Th>CPUs</Th>
                <Th>Memory</Th>
                <Th>Disks</Th>
                <Th>Snapshots</Th>
                <Th>Networks</Th>
                <Th screenReaderText="Details" />
              </Tr>
            }
            renderRow={(vm, index) => (
              <Tr key={vm.id} style={{ height: ROW_HEIGHT }} data-testid={`inventory-row-${vm.name}`} isRowSelected={vm.id === shown?.id}>
                {mayMigrate && <Td select={{ rowIndex: index, isSelected: selected.has(vm.id), onSelect: () => toggle(vm) }} aria-label={`Select ${vm.name}`} />}
                <Td dataLabel="Name" style={cell}>
                  <strong>{vm.name}</strong>
                </Td>
                <Td dataLabel="Power" style={cell}>
                  {vm.powerState}
                </Td>
                <Td dataLabel="Guest OS" style={cell}>
                  {vm.guestOS ?? "—"}
                </Td>
                <Td dataLabel="CPUs">{vm.cpus}</Td>
                <Td dataLabel="Memory" style={cell}>
                  {formatMemory(vm.memoryMiB)}
                </Td>
                <Td dataLabel="Disks" style={cell}>{`${vm.disks?.length ?? 0} · ${formatBytes(totalDiskBytes(vm))}`}</Td>
                <Td dataLabel="Snapshots">{vm.snapshotCount ?? 0}</Td>
                <Td dataLabel="Networks" style={cell}>
                  {[...new Set((vm.nics ?? []).map((n) => n.network))].join(", ") || "—"}
                </Td>
                <Td isActionCell style={cell}>
                  <Button variant="link" size="sm" onClick={() => setShown(vm)} aria-label="Details">
                    Details
                  </Button>
                </Td>
              </Tr>
            )}
          />
        )}
        {migrating && provider && <MigrateWizard source={provider} vms={migrating} onClose={() => setMigrating(null)} />}
      </PageSection>
    </DetailsDrawer>
  );
}
