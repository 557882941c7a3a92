// Migrations: phase and progress per VMMigration, read page by page (limit/continue), rendered as a windowed
// table (only the rows in view are in the DOM) and kept live by one watch; a row's details (disks with sha256 at
// source and target, phase timeline, events, warm precopies and cutover) open in a drawer.
import {
  Alert,
  Bullseye,
  Button,
  Form,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  PageSection,
  Progress,
  Spinner,
  TextInput,
  Title,
} from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { memo, useCallback, useState } from "react";
import type { VMMigration } from "../api/generated.ts";
import { collectionPath, objectPath } from "../api/client.ts";
import { useAction, useGet } from "../api/hooks.ts";
import { usePagedList } from "../api/paged.ts";
import type { RecordedEvent } from "../api/inventory.ts";
import { useApi, useSession } from "../api/session.tsx";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { FormField, validated } from "../components/FormField.tsx";
import { sortFieldErrors } from "../model/field-errors.ts";
import { retryOf } from "../model/migration-plan.ts";
import { DetailsDrawer, DetailsPanel } from "../components/DetailsDrawer.tsx";
import { oneLine, WindowedTable } from "../components/WindowedTable.tsx";
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
              <Th>Allocated</Th>
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
                <Td title="what the source reported allocated: only this is read">{d.allocatedBytes === undefined ? "—" : formatBytes(d.allocatedBytes)}</Td>
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

const PAGE_SIZE = 500;
/** Every row has this height (cells do not wrap; details open in a drawer), which is what makes windowing exact. */
const ROW_HEIGHT = 45;
const COLUMNS = 8;
const cell = oneLine;

/** One row; memoised so scrolling renders only the rows that enter the window (a watch event replaces the object). */
const MigrationRow = memo(function MigrationRow({ m, isSelected, onSelect, onCancel, onRetry }: { m: VMMigration; isSelected: boolean; onSelect: (key: string) => void; onCancel: (m: VMMigration) => void; onRetry: (m: VMMigration) => void }) {
  const { canWrite } = useSession();
  const writable = canWrite(m.metadata.namespace ?? "default");
  const p = m.status?.progress;
  return (
    <Tr style={{ height: ROW_HEIGHT }} data-testid={`migration-row-${m.metadata.name}`} isRowSelected={isSelected}>
      <Td dataLabel="Name" style={cell}>
        <strong>{m.metadata.name}</strong>
      </Td>
      <Td dataLabel="Namespace" style={cell}>
        {m.metadata.namespace ?? "default"}
      </Td>
      <Td dataLabel="Source" style={cell}>{`${m.spec.source.providerRef.name}/${sourceVMOf(m)}`}</Td>
      <Td dataLabel="Target" style={cell}>{`${m.spec.target.providerRef.name}/${m.status?.targetVMRef?.name ?? m.spec.target.vmName ?? "—"}`}</Td>
      <Td dataLabel="Phase" style={cell}>
        <PhaseLabel phase={m.status?.phase} />
      </Td>
      <Td dataLabel="Progress" style={cell} title={p ? `${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}${etaText(m) ? ` · ${etaText(m)}` : ""}` : undefined}>
        <Progress
          value={progressPercent(m)}
          size="sm"
          measureLocation="outside"
          variant={progressVariant(m)}
          aria-label={`Progress of ${m.metadata.name}`}
          data-testid={`migration-progress-${m.metadata.name}`}
        />
      </Td>
      <Td dataLabel="Started" style={cell}>
        {formatTime(m.status?.startedAt)}
      </Td>
      <Td isActionCell style={cell}>
        <Button variant="link" size="sm" onClick={() => onSelect(objectKey(m))} aria-label="Details">
          Details
        </Button>
        {writable && !isFinished(m) && !m.metadata.deletionTimestamp && (
          <Button variant="link" size="sm" isDanger onClick={() => onCancel(m)} aria-label={`Cancel ${m.metadata.name}`}>
            Cancel
          </Button>
        )}
        {writable && m.status?.phase === "Failed" && (
          <Button variant="link" size="sm" onClick={() => onRetry(m)} aria-label={`Retry ${m.metadata.name}`}>
            Retry
          </Button>
        )}
      </Td>
    </Tr>
  );
});

const NO_FILTER = { namespace: "", labelSelector: "" };

export function MigrationsPage() {
  const { query, items } = usePagedList<VMMigration>("vmmigrations", NO_FILTER, PAGE_SIZE);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = query;
  const loadMore = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);
  // ?migration=namespace/name opens that migration's details.
  const [selected, setSelected] = useState<string | null>(() => new URLSearchParams(window.location.search).get("migration"));
  const [cancelling, setCancelling] = useState<VMMigration | null>(null);
  const [retrying, setRetrying] = useState<VMMigration | null>(null);
  const selectedMigration = items.find((m) => objectKey(m) === selected);
  const panel = selectedMigration ? (
    <DetailsPanel title={selectedMigration.metadata.name} onClose={() => setSelected(null)}>
      <MigrationDetails m={selectedMigration} />
    </DetailsPanel>
  ) : undefined;
  return (
    <DetailsDrawer panel={panel}>
      <PageSection>
            <Title headingLevel="h1" style={{ marginBottom: "var(--pf-t--global--spacer--md)" }}>
              Migrations
            </Title>
            <p data-testid="migration-count">{`${items.length}${hasNextPage ? "+" : ""} ${items.length === 1 && !hasNextPage ? "migration" : "migrations"}`}</p>
            {query.error ? <ErrorAlert error={query.error} title="Could not load migrations" /> : null}
            {query.isPending ? (
              <Bullseye>
                <Spinner aria-label="Loading migrations" />
              </Bullseye>
            ) : items.length === 0 ? (
              <p>No migrations yet.</p>
            ) : (
              <WindowedTable
                label="Migrations"
                testId="migration-table"
                scrollTestId="migration-scroll"
                rows={items}
                rowHeight={ROW_HEIGHT}
                columns={COLUMNS}
                onNeedMore={loadMore}
                header={
                  <Tr>
                    <Th>Name</Th>
                    <Th>Namespace</Th>
                    <Th>Source</Th>
                    <Th>Target</Th>
                    <Th>Phase</Th>
                    <Th width={25}>Progress</Th>
                    <Th>Started</Th>
                    <Th screenReaderText="Actions" />
                  </Tr>
                }
                renderRow={(m) => <MigrationRow key={objectKey(m)} m={m} isSelected={objectKey(m) === selected} onSelect={setSelected} onCancel={setCancelling} onRetry={setRetrying} />}
              />
            )}
      </PageSection>
      {cancelling && <CancelDialog m={cancelling} onClose={() => setCancelling(null)} />}
      {retrying && <RetryDialog m={retrying} onClose={() => setRetrying(null)} />}
    </DetailsDrawer>
  );
}
