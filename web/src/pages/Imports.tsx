// Imports: each VMImport (a plan of many VMs) with its per-VM rows.
import { PageSection, Progress, Title } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import type { VMImport } from "../api/generated.ts";
import { useResourceList } from "../api/hooks.ts";
import { QueryState } from "../components/Loading.tsx";
import { PhaseLabel } from "../components/PhaseLabel.tsx";
import { formatBytes } from "../model/format.ts";
import { objectKey } from "../model/objects.ts";

const percentOf = (done?: number, total?: number): number => (total && done !== undefined ? Math.round((done / total) * 100) : 0);

function ImportCard({ imp }: { imp: VMImport }) {
  const p = imp.status?.progress;
  const vms = imp.status?.vms ?? [];
  return (
    <section style={{ marginBottom: "var(--pf-t--global--spacer--xl)" }} data-testid={`import-${imp.metadata.name}`}>
      <Title headingLevel="h2" size="lg">
        {imp.metadata.namespace}/{imp.metadata.name} <PhaseLabel phase={imp.status?.phase} />
      </Title>
      <p>
        {imp.spec.source.providerRef.name} → {imp.spec.target.providerRef.name}
        {imp.spec.target.namespace ? ` (namespace ${imp.spec.target.namespace})` : ""} · adoption {imp.spec.adoption?.enabled === false ? "off" : "on"}
        {p ? ` · ${p.succeeded}/${p.total} succeeded, ${p.failed} failed, ${p.running} running, ${p.pending ?? 0} pending${p.skipped ? `, ${p.skipped} skipped` : ""}` : ""}
      </p>
      {imp.status?.message && (imp.status.phase === "Failed" || imp.status.phase === "PartiallySucceeded") && <p>{imp.status.message}</p>}
      <Table variant="compact" aria-label={`VMs of ${imp.metadata.name}`}>
        <Thead>
          <Tr>
            <Th>Source VM</Th>
            <Th>Target</Th>
            <Th>Migration</Th>
            <Th>Phase</Th>
            <Th width={30}>Bytes</Th>
            <Th>Adopted</Th>
          </Tr>
        </Thead>
        <Tbody>
          {vms.length === 0 && (
            <Tr>
              <Td colSpan={6}>{imp.spec.vms.map((v) => v.name ?? v.id).join(", ")} — not started yet</Td>
            </Tr>
          )}
          {vms.map((v) => (
            <Tr key={v.name}>
              <Td>{v.name}</Td>
              <Td>{v.targetName}</Td>
              <Td>{v.migration ?? "—"}</Td>
              <Td>
                <PhaseLabel phase={v.phase} />
              </Td>
              <Td>
                <Progress
                  size="sm"
                  value={percentOf(v.bytesDone, v.bytesTotal)}
                  title={`${formatBytes(v.bytesDone ?? 0)} of ${formatBytes(v.bytesTotal)}`}
                  measureLocation="outside"
                  aria-label={`Bytes of ${v.name}`}
                  variant={v.phase === "Succeeded" ? "success" : v.phase === "Failed" ? "danger" : undefined}
                />
              </Td>
              <Td>{v.adopted ? "yes" : "no"}</Td>
            </Tr>
          ))}
        </Tbody>
      </Table>
    </section>
  );
}

export function ImportsPage() {
  const imports = useResourceList<VMImport>("vmimports", { live: true });
  return (
    <PageSection>
      <Title headingLevel="h1" style={{ marginBottom: "var(--pf-t--global--spacer--md)" }}>
        Imports
      </Title>
      <QueryState query={imports} what="imports">
        {(list) => (list.items.length === 0 ? <p>No VMImports yet.</p> : list.items.map((imp) => <ImportCard key={objectKey(imp)} imp={imp} />))}
      </QueryState>
    </PageSection>
  );
}
