// Virtual machines: every VirtualMachine across namespaces, power actions, and a details drawer.
import { Drawer, DrawerContent, DrawerContentBody, PageSection, Title } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useState } from "react";
import type { VirtualMachine } from "../api/generated.ts";
import { useResourceList } from "../api/hooks.ts";
import { QueryState } from "../components/Loading.tsx";
import { PhaseLabel } from "../components/PhaseLabel.tsx";
import { PowerActions } from "../components/PowerActions.tsx";
import { formatMemory } from "../model/format.ts";
import { objectKey } from "../model/objects.ts";
import { diskSource, provenanceOf } from "../model/virtual-machines.ts";
import { VMDetails } from "./VMDetails.tsx";

export function VirtualMachinesPage() {
  const vms = useResourceList<VirtualMachine>("virtualmachines", { live: true });
  // ?vm=namespace/name (the link from a migration) opens that VM's details.
  const [selected, setSelected] = useState<string | null>(() => new URLSearchParams(window.location.search).get("vm"));
  const selectedVM = vms.data?.items.find((vm) => objectKey(vm) === selected);
  const panel = selectedVM ? <VMDetails vm={selectedVM} onClose={() => setSelected(null)} /> : undefined;
  return (
    <Drawer isExpanded={selectedVM !== undefined} isInline position="end">
      <DrawerContent panelContent={panel}>
        <DrawerContentBody>
          <PageSection>
            <Title headingLevel="h1" style={{ marginBottom: "var(--pf-t--global--spacer--md)" }}>
              Virtual machines
            </Title>
            <QueryState query={vms} what="virtual machines">
              {(list) =>
                list.items.length === 0 ? (
                  <p>No virtual machines yet. Migrate one with a VMMigration, or adopt one under Imported VMs.</p>
                ) : (
                  <Table aria-label="Virtual machines" variant="compact" data-testid="vm-table">
                    <Thead>
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
                    </Thead>
                    <Tbody>
                      {list.items.map((vm) => {
                        const key = objectKey(vm);
                        return (
                          <Tr
                            key={key}
                            data-testid={`vm-row-${vm.metadata.namespace ?? "default"}-${vm.metadata.name}`}
                            isClickable
                            isRowSelected={key === selected}
                            onRowClick={() => setSelected(key)}
                          >
                            <Td dataLabel="Name">
                              <strong>{vm.metadata.name}</strong>
                            </Td>
                            <Td dataLabel="Namespace">{vm.metadata.namespace ?? "default"}</Td>
                            <Td dataLabel="Phase">
                              <PhaseLabel phase={vm.status?.phase} />
                            </Td>
                            <Td dataLabel="Disk source">{diskSource(vm)}</Td>
                            <Td dataLabel="Provider">{vm.spec.providerRef.name}</Td>
                            <Td dataLabel="CPUs">{vm.spec.cpus ?? 1}</Td>
                            <Td dataLabel="Memory">{formatMemory(vm.spec.memoryMiB ?? 1024)}</Td>
                            <Td dataLabel="Migrated from">{provenanceOf(vm).migratedFrom ?? "—"}</Td>
                            <Td dataLabel="Actions" isActionCell>
                              <PowerActions vm={vm} />
                            </Td>
                          </Tr>
                        );
                      })}
                    </Tbody>
                  </Table>
                )
              }
            </QueryState>
          </PageSection>
        </DrawerContentBody>
      </DrawerContent>
    </Drawer>
  );
}
