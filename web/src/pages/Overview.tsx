// Overview: the counts an operator checks first.
import { Card, CardBody, CardTitle, Gallery, Label, LabelGroup, PageSection, Title } from "@patternfly/react-core";
import type { Provider, VirtualMachine, VMMigration } from "../api/generated.ts";
import { useResourceList } from "../api/hooks.ts";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { MIGRATION_PHASES } from "../model/migrations.ts";
import { summarize } from "../model/overview.ts";

function Count({ title, value, detail, testId }: { title: string; value: number; detail?: React.ReactNode; testId: string }) {
  return (
    <Card data-testid={testId}>
      <CardTitle>{title}</CardTitle>
      <CardBody>
        <div style={{ fontSize: "2.25rem", fontWeight: 600 }} data-testid={`${testId}-value`}>
          {value}
        </div>
        {detail}
      </CardBody>
    </Card>
  );
}

export function OverviewPage() {
  const vms = useResourceList<VirtualMachine>("virtualmachines", { live: true });
  const migrations = useResourceList<VMMigration>("vmmigrations", { live: true });
  const providers = useResourceList<Provider>("providers");
  const c = summarize(vms.data?.items ?? [], migrations.data?.items ?? [], providers.data?.items ?? []);
  const phases = [...MIGRATION_PHASES.filter((p) => c.migrationsByPhase[p]), ...Object.keys(c.migrationsByPhase).filter((p) => !(MIGRATION_PHASES as readonly string[]).includes(p))];
  return (
    <PageSection>
      <Title headingLevel="h1" style={{ marginBottom: "var(--pf-t--global--spacer--md)" }}>
        Overview
      </Title>
      {[vms, migrations, providers].map((q, i) => (q.error ? <ErrorAlert key={["vms", "migrations", "providers"][i]} error={q.error} title="Could not load the overview" /> : null))}
      <Gallery hasGutter minWidths={{ default: "220px" }}>
        <Count
          title="Virtual machines"
          value={c.vms.total}
          testId="count-vms"
          detail={
            <LabelGroup>
              <Label color="green" data-testid="count-running">{`${c.vms.running} running`}</Label>
              <Label color="grey" data-testid="count-stopped">{`${c.vms.stopped} stopped`}</Label>
              {c.vms.other > 0 && <Label color="blue">{`${c.vms.other} other`}</Label>}
            </LabelGroup>
          }
        />
        <Count
          title="Migrations"
          value={migrations.data?.items.length ?? 0}
          testId="count-migrations"
          detail={
            <LabelGroup numLabels={9}>
              {phases.map((p) => (
                <Label key={p} color={p === "Succeeded" ? "green" : p === "Failed" ? "red" : "blue"}>{`${c.migrationsByPhase[p]} ${p}`}</Label>
              ))}
            </LabelGroup>
          }
        />
        <Count title="Imported VMs" value={c.importedVMs} testId="count-imported" />
        <Count
          title="Providers"
          value={c.providers.ready + c.providers.notReady}
          testId="count-providers"
          detail={
            <LabelGroup>
              <Label color="green">{`${c.providers.ready} ready`}</Label>
              {c.providers.notReady > 0 && <Label color="red">{`${c.providers.notReady} not ready`}</Label>}
            </LabelGroup>
          }
        />
      </Gallery>
    </PageSection>
  );
}
