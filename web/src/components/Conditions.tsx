// status.conditions as a compact table.
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { formatTime } from "../model/format.ts";
import type { Condition } from "../model/objects.ts";

export function Conditions({ conditions }: { conditions: Condition[] | undefined }) {
  if (!conditions?.length) return <p>No conditions reported yet.</p>;
  return (
    <Table variant="compact" aria-label="Conditions">
      <Thead>
        <Tr>
          <Th>Type</Th>
          <Th>Status</Th>
          <Th>Reason</Th>
          <Th>Message</Th>
          <Th>Since</Th>
        </Tr>
      </Thead>
      <Tbody>
        {conditions.map((c) => (
          <Tr key={c.type}>
            <Td>{c.type}</Td>
            <Td>{c.status}</Td>
            <Td>{c.reason ?? "—"}</Td>
            <Td>{c.message ?? ""}</Td>
            <Td>{formatTime(c.lastTransitionTime)}</Td>
          </Tr>
        ))}
      </Tbody>
    </Table>
  );
}
