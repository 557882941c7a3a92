// Providers: type, the Ready condition's reason and message, and how many VMs the inventory saw.
import { PageSection, Title } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import type { Provider } from "../api/generated.ts";
import { useResourceList } from "../api/hooks.ts";
import { QueryState } from "../components/Loading.tsx";
import { PhaseLabel } from "../components/PhaseLabel.tsx";
import { formatTime } from "../model/format.ts";
import { findCondition, objectKey } from "../model/objects.ts";

export function ProvidersPage() {
  const providers = useResourceList<Provider>("providers", { live: true });
  return (
    <PageSection>
      <Title headingLevel="h1" style={{ marginBottom: "var(--pf-t--global--spacer--md)" }}>
        Providers
      </Title>
      <QueryState query={providers} what="providers">
        {(list) =>
          list.items.length === 0 ? (
            <p>No providers yet.</p>
          ) : (
            <Table aria-label="Providers" variant="compact" data-testid="provider-table">
              <Thead>
                <Tr>
                  <Th>Name</Th>
                  <Th>Namespace</Th>
                  <Th>Type</Th>
                  <Th>Endpoint</Th>
                  <Th>Ready</Th>
                  <Th>Reason</Th>
                  <Th>Message</Th>
                  <Th>Inventory</Th>
                </Tr>
              </Thead>
              <Tbody>
                {list.items.map((p) => {
                  const ready = findCondition(p.status?.conditions, "Ready");
                  const inv = p.status?.inventory;
                  return (
                    <Tr key={objectKey(p)} data-testid={`provider-row-${p.metadata.name}`}>
                      <Td>
                        <strong>{p.metadata.name}</strong>
                      </Td>
                      <Td>{p.metadata.namespace ?? "default"}</Td>
                      <Td>{p.spec.type}</Td>
                      <Td>{p.spec.endpoint ?? p.spec.uri ?? "—"}</Td>
                      <Td>
                        <PhaseLabel phase={ready?.status === "True" ? "Ready" : ready ? "NotReady" : "Pending"} />
                      </Td>
                      <Td>{ready?.reason ?? "—"}</Td>
                      <Td>{ready?.message ?? ""}</Td>
                      <Td>{inv ? <span title={`refreshed ${formatTime(inv.lastRefreshed)}`}>{`${inv.vms} VMs${inv.poweredOn !== undefined ? ` (${inv.poweredOn} on)` : ""}`}</span> : "—"}</Td>
                    </Tr>
                  );
                })}
              </Tbody>
            </Table>
          )
        }
      </QueryState>
    </PageSection>
  );
}
