// Inventory: a source Provider's VMs (power, guest OS, CPUs, memory, disks with size/format/transport,
// snapshots, networks) with search and filters, rendered as a windowed table (only the rows in view are in the
// DOM; a VM's disks open in a drawer); select one or many and open the Migrate wizard.
import {
  Button,
  Drawer,
  DrawerActions,
  DrawerCloseButton,
  DrawerContent,
  DrawerContentBody,
  DrawerHead,
  DrawerPanelBody,
  DrawerPanelContent,
  FormSelect,
  FormSelectOption,
  PageSection,
  SearchInput,
  Title,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
} from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useState } from "react";
import { objectPath } from "../api/client.ts";
import type { Provider } from "../api/generated.ts";
import { useGet, useResourceList } from "../api/hooks.ts";
import type { InventoryList, SourceInventoryVM } from "../api/inventory.ts";
import { useSession } from "../api/session.tsx";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { Spacer, useRowWindow } from "../components/VirtualRows.tsx";
import { formatBytes, formatMemory } from "../model/format.ts";
import { diskFormatOf, filterInventory, totalDiskBytes } from "../model/inventory-view.ts";
import { MigrateWizard } from "./MigrateWizard.tsx";

const SOURCE_TYPES = new Set(["vsphere", "proxmox"]);
/** Every row has this height (cells do not wrap), which is what makes windowing exact. */
const ROW_HEIGHT = 45;
const cell = { whiteSpace: "nowrap", overflow: "hidden", textOverflow: "ellipsis" } as const;
/** The inventory is one list read: there is no next page to ask for. */
const NO_MORE = () => undefined;

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
  const inventory = useGet<InventoryList>(path ? `${path}/vms` : null);
  const [search, setSearch] = useState("");
  const [power, setPower] = useState("");
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [detailsOf, setDetailsOf] = useState<string | null>(null);
  const [migrating, setMigrating] = useState<SourceInventoryVM[] | null>(null);
  const all = inventory.data?.kind === "SourceVMList" ? inventory.data.items : [];
  const rows = filterInventory(all, { search, power });
  const toggle = (set: Set<string>, key: string) => {
    const next = new Set(set);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    return next;
  };
  const mayMigrate = identity !== null && identity !== undefined && identity.role !== "viewer";
  const rowWindow = useRowWindow(rows.length, ROW_HEIGHT, NO_MORE);
  const columns = mayMigrate ? 10 : 9;
  const shown = all.find((vm) => vm.name === detailsOf);
  const panel = shown ? (
    <DrawerPanelContent widths={{ default: "width_50" }}>
      <DrawerHead>
        <Title headingLevel="h2" size="lg">
          {shown.name}
        </Title>
        <DrawerActions>
          <DrawerCloseButton onClick={() => setDetailsOf(null)} />
        </DrawerActions>
      </DrawerHead>
      <DrawerPanelBody>
        <VMFacts vm={shown} />
      </DrawerPanelBody>
    </DrawerPanelContent>
  ) : undefined;
  return (
    <Drawer isExpanded={shown !== undefined} isInline position="end">
      <DrawerContent panelContent={panel}>
        <DrawerContentBody>
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
                      setSelected(new Set());
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
                {mayMigrate && (
                  <ToolbarItem>
                    <Button variant="primary" isDisabled={selected.size === 0} onClick={() => setMigrating(all.filter((vm) => selected.has(vm.name)))}>
                      Migrate{selected.size ? ` (${selected.size})` : ""}
                    </Button>
                  </ToolbarItem>
                )}
              </ToolbarContent>
            </Toolbar>
            {providers.error ? <ErrorAlert error={providers.error} title="Could not load providers" /> : null}
            {inventory.error ? <ErrorAlert error={inventory.error} title="Could not list the provider's VMs" /> : null}
            {inventory.isFetching && !inventory.data ? <p>Reading the inventory…</p> : null}
            {inventory.data && (
              <div ref={rowWindow.ref} onScroll={rowWindow.onScroll} style={{ height: "calc(100vh - 260px)", minHeight: 300, overflow: "auto" }} data-testid="inventory-scroll">
                <Table aria-label="Source VMs" variant="compact" data-testid="inventory-table" isStickyHeader>
                  <Thead>
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
                  </Thead>
                  <Tbody>
                    <Spacer height={rowWindow.window.padTop} colSpan={columns} />
                    {rows.slice(rowWindow.window.start, rowWindow.window.end).map((vm, i) => (
                      <Tr key={vm.id} style={{ height: ROW_HEIGHT }} data-testid={`inventory-row-${vm.name}`} isRowSelected={vm.name === detailsOf}>
                        {mayMigrate && (
                          <Td select={{ rowIndex: rowWindow.window.start + i, isSelected: selected.has(vm.name), onSelect: () => setSelected((s) => toggle(s, vm.name)) }} aria-label={`Select ${vm.name}`} />
                        )}
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
                          <Button variant="link" size="sm" onClick={() => setDetailsOf(vm.name)} aria-label="Details">
                            Details
                          </Button>
                        </Td>
                      </Tr>
                    ))}
                    <Spacer height={rowWindow.window.padBottom} colSpan={columns} />
                  </Tbody>
                </Table>
              </div>
            )}
            {migrating && provider && <MigrateWizard source={provider} vms={migrating} onClose={() => setMigrating(null)} />}
          </PageSection>
        </DrawerContentBody>
      </DrawerContent>
    </Drawer>
  );
}
