// A warm migration's part of its page: each precopy (when, how long, bytes), the next precopy, the requested
// and actual cutover, the downtime, and "Cutover now" / "Cutover at…" (sets spec.cutover, as `landfall cutover`).
import { Button, TextInput, Title } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useState } from "react";
import { objectPath } from "../api/client.ts";
import type { VMMigration } from "../api/generated.ts";
import { useAction } from "../api/hooks.ts";
import { useApi, useSession } from "../api/session.tsx";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { formatBytes, formatTime } from "../model/format.ts";
import { formatSeconds } from "../model/migrations.ts";
import { canCutOver, cutoverPatch } from "../model/warm.ts";

function CutoverButtons({ m }: { m: VMMigration }) {
  const api = useApi();
  const [at, setAt] = useState("");
  const [choosing, setChoosing] = useState(false);
  const set = useAction((when: Date) => api.mergePatch(objectPath("vmmigrations", m.metadata.namespace ?? "default", m.metadata.name), cutoverPatch(when)), ["vmmigrations"]);
  const chosen = at === "" ? undefined : new Date(at);
  return (
    <div style={{ display: "flex", gap: "var(--pf-t--global--spacer--sm)", alignItems: "center", flexWrap: "wrap" }}>
      <Button variant="primary" size="sm" isLoading={set.isPending} onClick={() => set.mutate(new Date())} aria-label={`Cutover ${m.metadata.name} now`}>
        Cutover now
      </Button>
      {choosing ? (
        <>
          <TextInput type="datetime-local" step={1} aria-label="Cutover time" value={at} onChange={(_e, x) => setAt(x)} style={{ maxWidth: "16rem" }} />
          <Button variant="secondary" size="sm" isDisabled={!chosen || Number.isNaN(chosen.getTime())} onClick={() => chosen && set.mutate(chosen, { onSuccess: () => setChoosing(false) })}>
            Set cutover time
          </Button>
        </>
      ) : (
        <Button variant="secondary" size="sm" onClick={() => setChoosing(true)}>
          Cutover at…
        </Button>
      )}
      {set.error ? <ErrorAlert error={set.error} title="Could not set the cutover" onClose={() => set.reset()} /> : null}
    </div>
  );
}

export function WarmPanel({ m }: { m: VMMigration }) {
  const { canWrite } = useSession();
  const precopies = m.status?.precopies ?? [];
  const name = m.metadata.name;
  return (
    <div data-testid={`warm-${name}`} style={{ marginBottom: "var(--pf-t--global--spacer--md)" }}>
      <Title headingLevel="h4" size="md">
        Warm migration
      </Title>
      <dl style={{ display: "grid", gridTemplateColumns: "max-content auto", gap: "0 var(--pf-t--global--spacer--md)" }}>
        <dt>Precopy interval</dt>
        <dd>{m.spec.options?.precopyInterval ?? "10m"}</dd>
        <dt>Next precopy</dt>
        <dd data-testid={`warm-next-${name}`}>{m.status?.nextPrecopyAt && !m.status?.cutover ? formatTime(m.status.nextPrecopyAt) : "—"}</dd>
        <dt>Cutover requested</dt>
        <dd data-testid={`warm-cutover-${name}`}>{m.spec.cutover ? formatTime(m.spec.cutover) : "not set (cut over by hand)"}</dd>
        <dt>Cutover started</dt>
        <dd>{m.status?.cutover ? formatTime(m.status.cutover.startedAt) : "—"}</dd>
        <dt>Downtime</dt>
        <dd data-testid={`warm-downtime-${name}`}>{m.status?.downtimeSeconds !== undefined ? formatSeconds(m.status.downtimeSeconds) : "—"}</dd>
      </dl>
      {canWrite(m.metadata.namespace ?? "default") && canCutOver(m) && <CutoverButtons m={m} />}
      {precopies.length === 0 ? (
        <p>No precopy yet.</p>
      ) : (
        <Table variant="compact" aria-label={`Precopies of ${name}`} borders={false} data-testid={`precopies-${name}`}>
          <Thead>
            <Tr>
              <Th>#</Th>
              <Th>Started</Th>
              <Th>Completed</Th>
              <Th>Duration</Th>
              <Th>Bytes</Th>
              <Th>Kind</Th>
            </Tr>
          </Thead>
          <Tbody>
            {precopies.map((p) => (
              <Tr key={p.index}>
                <Td>{p.index}</Td>
                <Td>{formatTime(p.startedAt)}</Td>
                <Td>{p.completedAt ? formatTime(p.completedAt) : "running"}</Td>
                <Td>{formatSeconds(p.durationSeconds)}</Td>
                <Td>{formatBytes(p.bytes)}</Td>
                <Td>{p.final ? "final (source off)" : p.index === 0 ? "full copy" : "changes"}</Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
      )}
    </div>
  );
}
