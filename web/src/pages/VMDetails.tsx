// The details drawer of one VirtualMachine: provenance, disks, conditions, console log and events.
import {
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  Title,
} from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import type { ReactNode } from "react";
import { objectPath } from "../api/client.ts";
import type { VirtualMachine } from "../api/generated.ts";
import { useGet } from "../api/hooks.ts";
import type { RecordedEvent } from "../api/inventory.ts";
import { Conditions } from "../components/Conditions.tsx";
import { DetailsPanel } from "../components/DetailsDrawer.tsx";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { PowerActions } from "../components/PowerActions.tsx";
import { formatBytes, formatTime } from "../model/format.ts";
import { guestSummary, provenanceOf } from "../model/virtual-machines.ts";

function Field({ term, children }: { term: string; children: ReactNode }) {
  return (
    <DescriptionListGroup>
      <DescriptionListTerm>{term}</DescriptionListTerm>
      <DescriptionListDescription style={{ wordBreak: "break-all" }}>{children ?? "—"}</DescriptionListDescription>
    </DescriptionListGroup>
  );
}

const Section = ({ children }: { children: ReactNode }) => (
  <Title headingLevel="h3" size="md" style={{ margin: "var(--pf-t--global--spacer--lg) 0 var(--pf-t--global--spacer--sm)" }}>
    {children}
  </Title>
);

export function VMDetails({ vm, onClose }: { vm: VirtualMachine; onClose: () => void }) {
  const ns = vm.metadata.namespace ?? "default";
  const events = useGet<{ items: RecordedEvent[] }>(`${objectPath("virtualmachines", ns, vm.metadata.name)}/events`, { refetchMs: 10_000 });
  const p = provenanceOf(vm);
  const guest = guestSummary(vm);
  const s = vm.status;
  return (
    <DetailsPanel title={vm.metadata.name} onClose={onClose} testId="vm-details">
        <PowerActions vm={vm} />
        <Section>Provenance</Section>
        <DescriptionList isCompact isHorizontal>
          <Field term="Migrated from">{p.migratedFrom}</Field>
          <Field term="Migration">{p.migration}</Field>
          <Field term="Imported disk ID">{p.importedDiskID}</Field>
          <Field term="Disk checksum">{p.diskChecksum}</Field>
        </DescriptionList>
        <Section>Disk</Section>
        <DescriptionList isCompact isHorizontal>
          <Field term="Target format">{s?.diskInfo?.targetFormat}</Field>
          <Field term="Target checksum">{s?.diskInfo?.targetChecksum}</Field>
          <Field term="Path">{s?.diskInfo?.path ?? vm.spec.importedDisk?.path}</Field>
          <Field term="Virtual size">{s?.diskInfo?.virtualSizeBytes !== undefined ? formatBytes(s.diskInfo.virtualSizeBytes) : undefined}</Field>
          <Field term="Domain">{s?.domainName}</Field>
          <Field term="Domain UUID">{s?.providerID}</Field>
          <Field term="Console log">{s?.consoleLog}</Field>
        </DescriptionList>
        <Section>Guest</Section>
        <DescriptionList isCompact isHorizontal data-testid="vm-guest">
          <Field term="Operating system">{guest.os}</Field>
          <Field term="Hostname">{guest.hostname}</Field>
          <Field term="IP addresses">{guest.ipAddresses}</Field>
          <Field term="Guest agent">{guest.agent}</Field>
        </DescriptionList>
        <Section>Conditions</Section>
        <Conditions conditions={s?.conditions} />
        <Section>Events</Section>
        {events.error ? <ErrorAlert error={events.error} title="Could not load events" /> : null}
        {events.data && events.data.items.length === 0 && <p>No events recorded.</p>}
        {events.data && events.data.items.length > 0 && (
          <Table variant="compact" aria-label="Events">
            <Thead>
              <Tr>
                <Th>Type</Th>
                <Th>Reason</Th>
                <Th>Message</Th>
                <Th>Count</Th>
                <Th>Last seen</Th>
              </Tr>
            </Thead>
            <Tbody>
              {events.data.items.map((e) => (
                <Tr key={`${e.reason}:${e.firstTimestamp}:${e.message}`}>
                  <Td>{e.type}</Td>
                  <Td>{e.reason}</Td>
                  <Td>{e.message}</Td>
                  <Td>{e.count}</Td>
                  <Td>{formatTime(e.lastTimestamp)}</Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
    </DetailsPanel>
  );
}
