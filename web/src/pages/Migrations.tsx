// Migrations: phase and progress per VMMigration, live through the SSE watch; expand a row for its disks
// (size, bytes done, sha256 at source and target) and its phase history.
import { PageSection, Progress, Title } from "@patternfly/react-core";
import { ExpandableRowContent, Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useState } from "react";
import type { VMMigration } from "../api/generated.ts";
import { useResourceList } from "../api/hooks.ts";
import { QueryState } from "../components/Loading.tsx";
import { PhaseLabel } from "../components/PhaseLabel.tsx";
import { formatBytes, formatTime, shortChecksum } from "../model/format.ts";
import { etaText, progressPercent, progressVariant, sourceVMOf } from "../model/migrations.ts";
import { objectKey } from "../model/objects.ts";

function MigrationDetails({ m }: { m: VMMigration }) {
  const disks = m.status?.disks ?? [];
  const history = m.status?.phaseHistory ?? [];
  return (
    <div data-testid={`migration-details-${m.metadata.name}`}>
      {m.status?.message && <p style={{ marginBottom: "var(--pf-t--global--spacer--sm)" }}>{m.status.message}</p>}
      <Title headingLevel="h4" size="md">
        Disks
      </Title>
      {disks.length === 0 ? (
        <p>No disks reported yet.</p>
      ) : (
        <Table variant="compact" aria-label={`Disks of ${m.metadata.name}`} borders={false}>
          <Thead>
            <Tr>
              <Th>Disk</Th>
              <Th>Source</Th>
              <Th>Size</Th>
              <Th>Done</Th>
              <Th>sha256 source</Th>
              <Th>sha256 target</Th>
              <Th>State</Th>
            </Tr>
          </Thead>
          <Tbody>
            {disks.map((d) => (
              <Tr key={d.diskID}>
                <Td>{d.diskID}</Td>
                <Td>{d.sourcePath}</Td>
                <Td>{formatBytes(d.sizeBytes)}</Td>
                <Td>{formatBytes(d.bytesDone)}</Td>
                <Td>
                  <span title={d.sha256}>{shortChecksum(d.sha256)}</span>
                </Td>
                <Td>
                  <span title={d.targetSha256}>{shortChecksum(d.targetSha256)}</span>
                </Td>
                <Td>
                  <PhaseLabel phase={d.state} />
                </Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
      )}
      <Title headingLevel="h4" size="md" style={{ marginTop: "var(--pf-t--global--spacer--md)" }}>
        Phase history
      </Title>
      {history.length === 0 ? (
        <p>No phases entered yet.</p>
      ) : (
        <ol style={{ display: "flex", gap: "var(--pf-t--global--spacer--md)", flexWrap: "wrap", listStyle: "none", padding: 0 }}>
          {history.map((h) => (
            <li key={`${h.phase}:${h.enteredAt}`}>
              <PhaseLabel phase={h.phase} /> <small>{formatTime(h.enteredAt)}</small>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

export function MigrationsPage() {
  const migrations = useResourceList<VMMigration>("vmmigrations", { live: true });
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const toggle = (key: string) =>
    setExpanded((old) => {
      const next = new Set(old);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });
  return (
    <PageSection>
      <Title headingLevel="h1" style={{ marginBottom: "var(--pf-t--global--spacer--md)" }}>
        Migrations
      </Title>
      <QueryState query={migrations} what="migrations">
        {(list) =>
          list.items.length === 0 ? (
            <p>No migrations yet.</p>
          ) : (
            <Table aria-label="Migrations" variant="compact" data-testid="migration-table">
              <Thead>
                <Tr>
                  <Th screenReaderText="Expand" />
                  <Th>Name</Th>
                  <Th>Namespace</Th>
                  <Th>Source</Th>
                  <Th>Target</Th>
                  <Th>Phase</Th>
                  <Th width={30}>Progress</Th>
                  <Th>Started</Th>
                </Tr>
              </Thead>
              {list.items.map((m, rowIndex) => {
                const key = objectKey(m);
                const isExpanded = expanded.has(key);
                const percent = progressPercent(m);
                const p = m.status?.progress;
                return (
                  <Tbody key={key} isExpanded={isExpanded}>
                    <Tr data-testid={`migration-row-${m.metadata.name}`}>
                      <Td expand={{ rowIndex, isExpanded, onToggle: () => toggle(key), expandId: `migration-${m.metadata.name}` }} />
                      <Td dataLabel="Name">
                        <strong>{m.metadata.name}</strong>
                      </Td>
                      <Td dataLabel="Namespace">{m.metadata.namespace ?? "default"}</Td>
                      <Td dataLabel="Source">{`${m.spec.source.providerRef.name}/${sourceVMOf(m)}`}</Td>
                      <Td dataLabel="Target">{`${m.spec.target.providerRef.name}/${m.status?.targetVMRef?.name ?? m.spec.target.vmName ?? "—"}`}</Td>
                      <Td dataLabel="Phase">
                        <PhaseLabel phase={m.status?.phase} />
                      </Td>
                      <Td dataLabel="Progress">
                        <Progress
                          value={percent}
                          title={p ? `${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}${etaText(m) ? ` · ${etaText(m)}` : ""}` : ""}
                          size="sm"
                          measureLocation="outside"
                          variant={progressVariant(m)}
                          aria-label={`Progress of ${m.metadata.name}`}
                          data-testid={`migration-progress-${m.metadata.name}`}
                        />
                      </Td>
                      <Td dataLabel="Started">{formatTime(m.status?.startedAt)}</Td>
                    </Tr>
                    <Tr isExpanded={isExpanded}>
                      <Td colSpan={8}>
                        <ExpandableRowContent>{isExpanded && <MigrationDetails m={m} />}</ExpandableRowContent>
                      </Td>
                    </Tr>
                  </Tbody>
                );
              })}
            </Table>
          )
        }
      </QueryState>
    </PageSection>
  );
}
