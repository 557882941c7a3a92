// Migrations: phase and progress per VMMigration, live through the SSE watch; expand a row for its disks
// (size, bytes done, sha256 at source and target) and its phase history.
import { Alert, Button, Form, Modal, ModalBody, ModalFooter, ModalHeader, PageSection, Progress, TextInput, Title } from "@patternfly/react-core";
import { ExpandableRowContent, Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useState } from "react";
import type { VMMigration } from "../api/generated.ts";
import { collectionPath, objectPath } from "../api/client.ts";
import { useAction, useGet, useResourceList } from "../api/hooks.ts";
import type { RecordedEvent } from "../api/inventory.ts";
import { useApi, useSession } from "../api/session.tsx";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { FormField, validated } from "../components/FormField.tsx";
import { sortFieldErrors } from "../model/field-errors.ts";
import { retryOf } from "../model/migration-plan.ts";
import { QueryState } from "../components/Loading.tsx";
import { PhaseLabel } from "../components/PhaseLabel.tsx";
import { formatBytes, formatTime, shortChecksum } from "../model/format.ts";
import { etaText, formatSeconds, isFinished, phaseSpans, progressPercent, progressVariant, sourceVMOf } from "../model/migrations.ts";
import { objectKey } from "../model/objects.ts";
import { isWarm } from "../model/warm.ts";
import { navigate } from "../router.ts";
import { WarmPanel } from "./WarmPanel.tsx";

function CancelDialog({ m, onClose }: { m: VMMigration; onClose: () => void }) {
  const api = useApi();
  const cancel = useAction(() => api.delete(objectPath("vmmigrations", m.metadata.namespace ?? "default", m.metadata.name)), ["vmmigrations"]);
  return (
    <Modal variant="small" isOpen onClose={onClose} aria-labelledby="cancel-title" data-testid="cancel-dialog">
      <ModalHeader title={`Cancel ${m.metadata.name}?`} labelId="cancel-title" titleIconVariant="warning" />
      <ModalBody>
        <p>Cancelling deletes this VMMigration. landfall stops the transfer and removes the partial volumes it wrote on the target.</p>
        <p>
          It does <strong>not</strong> delete the source VM or its disks, nor a VirtualMachine the migration already created. A cold migration that already
          powered the source VM off leaves it off.
        </p>
        {cancel.error ? <ErrorAlert error={cancel.error} title="Cancel failed" /> : null}
      </ModalBody>
      <ModalFooter>
        <Button variant="danger" isLoading={cancel.isPending} onClick={() => cancel.mutate(undefined, { onSuccess: onClose })}>
          Cancel migration
        </Button>
        <Button variant="link" onClick={onClose}>
          Keep it running
        </Button>
      </ModalFooter>
    </Modal>
  );
}

function RetryDialog({ m, onClose }: { m: VMMigration; onClose: () => void }) {
  const api = useApi();
  const [name, setName] = useState(`${m.metadata.name}-retry`);
  const retry = useAction(() => api.post(collectionPath("vmmigrations", m.metadata.namespace ?? "default"), retryOf(m, name)), ["vmmigrations"]);
  const errors = sortFieldErrors(retry.error, { name: ["metadata.name"] });
  return (
    <Modal variant="small" isOpen onClose={onClose} aria-labelledby="retry-title" data-testid="retry-dialog">
      <ModalHeader title={`Retry ${m.metadata.name}`} labelId="retry-title" />
      <ModalBody>
        <p>A new VMMigration with the same spec. The failed one stays for its record.</p>
        <Form onSubmit={(e) => e.preventDefault()}>
          <FormField id="retry-name" label="Name of the new migration" errors={errors.byField.name}>
            <TextInput id="retry-name" value={name} validated={validated(errors.byField.name)} onChange={(_e, x) => setName(x)} />
          </FormField>
        </Form>
        {errors.general.length > 0 && (
          <Alert variant="danger" isInline title="The API refused it" data-testid="api-error">
            {errors.general.join("; ")}
          </Alert>
        )}
      </ModalBody>
      <ModalFooter>
        <Button variant="primary" isLoading={retry.isPending} onClick={() => retry.mutate(undefined, { onSuccess: onClose })}>
          Retry
        </Button>
        <Button variant="link" onClick={onClose}>
          Cancel
        </Button>
      </ModalFooter>
    </Modal>
  );
}

function MigrationEvents({ m }: { m: VMMigration }) {
  const events = useGet<{ items: RecordedEvent[] }>(`${objectPath("vmmigrations", m.metadata.namespace ?? "default", m.metadata.name)}/events`, { refetchMs: isFinished(m) ? undefined : 3_000 });
  const items = events.data?.items ?? [];
  return (
    <>
      <Title headingLevel="h4" size="md" style={{ marginTop: "var(--pf-t--global--spacer--md)" }}>
        Events
      </Title>
      {events.error ? <ErrorAlert error={events.error} title="Could not load events" /> : null}
      {items.length === 0 ? (
        <p>No events.</p>
      ) : (
        <ul data-testid={`migration-events-${m.metadata.name}`}>
          {items.map((e) => (
            <li key={`${e.reason}:${e.firstTimestamp}`}>
              <small>{formatTime(e.lastTimestamp)}</small> <strong>{e.type === "Warning" ? "⚠ " : ""}{e.reason}</strong> {e.message}
              {e.count > 1 ? ` (×${e.count})` : ""}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function MigrationDetails({ m }: { m: VMMigration }) {
  const disks = m.status?.disks ?? [];
  const spans = phaseSpans(m.status?.phaseHistory ?? [], Date.now());
  const vmRef = m.status?.targetVMRef;
  const rate = m.status?.progress?.bytesPerSecond;
  return (
    <div data-testid={`migration-details-${m.metadata.name}`}>
      {m.status?.message && <p style={{ marginBottom: "var(--pf-t--global--spacer--sm)" }}>{m.status.message}</p>}
      {vmRef && (
        <p>
          Created VM:{" "}
          <Button variant="link" isInline onClick={() => navigate("/virtualmachines", `?vm=${encodeURIComponent(`${m.metadata.namespace ?? "default"}/${vmRef.name}`)}`)} data-testid={`migration-vm-link-${m.metadata.name}`}>
            {vmRef.name}
          </Button>
        </p>
      )}
      {isWarm(m) && <WarmPanel m={m} />}
      <Title headingLevel="h4" size="md">
        Disks{rate ? ` · ${formatBytes(rate)}/s` : ""}
        {etaText(m) ? ` · ${etaText(m)}` : ""}
      </Title>
      {disks.length === 0 ? (
        <p>No disks reported yet.</p>
      ) : (
        <Table variant="compact" aria-label={`Disks of ${m.metadata.name}`} borders={false}>
          <Thead>
            <Tr>
              <Th>Disk</Th>
              <Th>Source</Th>
              <Th>Transport</Th>
              <Th>Size</Th>
              <Th width={20}>Done</Th>
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
                <Td>{d.transport ?? "—"}</Td>
                <Td>{formatBytes(d.sizeBytes)}</Td>
                <Td>
                  <Progress
                    value={d.sizeBytes > 0 ? Math.round((d.bytesDone / d.sizeBytes) * 100) : 0}
                    title={formatBytes(d.bytesDone)}
                    size="sm"
                    measureLocation="outside"
                    aria-label={`Progress of disk ${d.diskID}`}
                  />
                </Td>
                <Td>
                  <span title={d.sha256}>{shortChecksum(d.sha256)}</span>
                </Td>
                <Td>
                  <span title={d.targetSha256}>{shortChecksum(d.targetSha256)}</span>
                  {d.sha256 && d.targetSha256 ? (d.sha256 === d.targetSha256 ? " ✓ equal" : " ✗ differs") : ""}
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
        Phase timeline
      </Title>
      {spans.length === 0 ? (
        <p>No phases entered yet.</p>
      ) : (
        <ol data-testid={`migration-timeline-${m.metadata.name}`} style={{ display: "flex", gap: "var(--pf-t--global--spacer--md)", flexWrap: "wrap", listStyle: "none", padding: 0 }}>
          {spans.map((h) => (
            <li key={`${h.phase}:${h.enteredAt}`}>
              <PhaseLabel phase={h.phase} /> <small title={formatTime(h.enteredAt)}>{formatSeconds(h.seconds)}</small>
            </li>
          ))}
        </ol>
      )}
      <MigrationEvents m={m} />
    </div>
  );
}

export function MigrationsPage() {
  const migrations = useResourceList<VMMigration>("vmmigrations", { live: true });
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const [cancelling, setCancelling] = useState<VMMigration | null>(null);
  const [retrying, setRetrying] = useState<VMMigration | null>(null);
  const { canWrite } = useSession();
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
                  <Th screenReaderText="Actions" />
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
                      <Td isActionCell>
                        {canWrite(m.metadata.namespace ?? "default") && !isFinished(m) && !m.metadata.deletionTimestamp && (
                          <Button variant="link" size="sm" isDanger onClick={() => setCancelling(m)} aria-label={`Cancel ${m.metadata.name}`}>
                            Cancel
                          </Button>
                        )}
                        {canWrite(m.metadata.namespace ?? "default") && m.status?.phase === "Failed" && (
                          <Button variant="link" size="sm" onClick={() => setRetrying(m)} aria-label={`Retry ${m.metadata.name}`}>
                            Retry
                          </Button>
                        )}
                      </Td>
                    </Tr>
                    <Tr isExpanded={isExpanded}>
                      <Td colSpan={9}>
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
      {cancelling && <CancelDialog m={cancelling} onClose={() => setCancelling(null)} />}
      {retrying && <RetryDialog m={retrying} onClose={() => setRetrying(null)} />}
    </PageSection>
  );
}
