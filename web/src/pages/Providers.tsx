// Providers: add or edit one (with its credentials), test its connection, trust a vCenter's certificate, and see the
// Ready condition's reason and message and how many VMs the inventory saw.
import { Alert, Button, PageSection, Title, Toolbar, ToolbarContent, ToolbarItem } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useState } from "react";
import { objectPath } from "../api/client.ts";
import type { Provider } from "../api/generated.ts";
import { useAction, useResourceList } from "../api/hooks.ts";
import type { InventoryList } from "../api/inventory.ts";
import { useApi, useSession } from "../api/session.tsx";
import { ErrorAlert } from "../components/ErrorAlert.tsx";
import { QueryState } from "../components/Loading.tsx";
import { PhaseLabel } from "../components/PhaseLabel.tsx";
import { formatTime } from "../model/format.ts";
import { findCondition, objectKey } from "../model/objects.ts";
import { trustThumbprintPatch } from "../model/provider-form.ts";
import { ProviderForm } from "./ProviderForm.tsx";

/** "Test connection": lists the provider's VMs through the API (a real connection with its credentials). */
function ConnectionTest({ p }: { p: Provider }) {
  const api = useApi();
  const path = objectPath("providers", p.metadata.namespace ?? "default", p.metadata.name);
  const test = useAction<void, InventoryList>(() => api.get<InventoryList>(`${path}/vms`), []);
  const ready = findCondition(p.status?.conditions, "Ready");
  return (
    <>
      <Button variant="secondary" size="sm" isLoading={test.isPending} onClick={() => test.mutate(undefined)} aria-label={`Test connection ${p.metadata.name}`}>
        Test connection
      </Button>
      {(test.isSuccess || test.isError) && (
        <div data-testid={`connection-result-${p.metadata.name}`} style={{ marginTop: "var(--pf-t--global--spacer--sm)" }}>
          {test.isSuccess ? (
            <Alert variant="success" isInline isPlain title={`Connected: ${test.data.items.length} VMs (Ready reason: ${ready?.reason ?? "not checked yet"})`} />
          ) : (
            <Alert variant="danger" isInline isPlain title={`Failed (Ready reason: ${ready?.reason ?? "not checked yet"})`}>
              {(test.error as Error).message}
            </Alert>
          )}
        </div>
      )}
    </>
  );
}

/** ThumbprintMismatch: the fingerprint the server presented, and a button to pin it in spec.tls.thumbprint. */
function TrustThumbprint({ p }: { p: Provider }) {
  const api = useApi();
  const thumbprint = p.status?.thumbprint;
  const trust = useAction(() => api.mergePatch(objectPath("providers", p.metadata.namespace ?? "default", p.metadata.name), trustThumbprintPatch(thumbprint as string)), ["providers"]);
  if (!thumbprint) return null;
  return (
    <div data-testid={`thumbprint-${p.metadata.name}`}>
      <small>
        Server presented <code style={{ wordBreak: "break-all" }}>{thumbprint}</code>
      </small>{" "}
      <Button variant="warning" size="sm" isLoading={trust.isPending} onClick={() => trust.mutate(undefined)} aria-label={`Trust thumbprint of ${p.metadata.name}`}>
        Trust this certificate
      </Button>
      {trust.error ? <ErrorAlert error={trust.error} title="Could not update the provider" /> : null}
    </div>
  );
}

export function ProvidersPage() {
  const providers = useResourceList<Provider>("providers", { live: true });
  const { identity, canWrite } = useSession();
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Provider | undefined>();
  // Only admins write Providers (they hold credentials for every tenant).
  const isAdmin = identity?.role === "admin";
  return (
    <PageSection>
      <Title headingLevel="h1" style={{ marginBottom: "var(--pf-t--global--spacer--md)" }}>
        Providers
      </Title>
      {identity && identity.role !== "viewer" && (
        <Toolbar>
          <ToolbarContent>
            <ToolbarItem>
              <Button variant="primary" onClick={() => setAdding(true)}>
                Add provider
              </Button>
            </ToolbarItem>
          </ToolbarContent>
        </Toolbar>
      )}
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
                  <Th screenReaderText="Actions" />
                </Tr>
              </Thead>
              <Tbody>
                {list.items.map((p) => {
                  const ready = findCondition(p.status?.conditions, "Ready");
                  const inv = p.status?.inventory;
                  const writable = canWrite(p.metadata.namespace ?? "default");
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
                      <Td data-testid={`provider-reason-${p.metadata.name}`}>{ready?.reason ?? "—"}</Td>
                      <Td modifier="breakWord" style={{ maxWidth: "28rem" }}>
                        {ready?.message ?? ""}
                        {writable && ready?.reason === "ThumbprintMismatch" && <TrustThumbprint p={p} />}
                      </Td>
                      <Td>{inv ? <span title={`refreshed ${formatTime(inv.lastRefreshed)}`}>{`${inv.vms} VMs${inv.poweredOn !== undefined ? ` (${inv.poweredOn} on)` : ""}`}</span> : "—"}</Td>
                      <Td isActionCell>
                        <ConnectionTest p={p} />{" "}
                        {isAdmin && (
                          <Button variant="secondary" size="sm" onClick={() => setEditing(p)} aria-label={`Edit ${p.metadata.name}`}>
                            Edit
                          </Button>
                        )}
                      </Td>
                    </Tr>
                  );
                })}
              </Tbody>
            </Table>
          )
        }
      </QueryState>
      {adding && <ProviderForm onClose={() => setAdding(false)} />}
      {editing && <ProviderForm key={objectKey(editing)} existing={editing} onClose={() => setEditing(undefined)} />}
    </PageSection>
  );
}
