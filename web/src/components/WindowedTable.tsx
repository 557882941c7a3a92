// The dashboard's long tables: a scrolling PatternFly table that renders only the rows in view (useRowWindow),
// keeps the height of the others with two spacer rows, and asks for the next page as the window nears the end
// of what is loaded. Every row must be rowHeight tall (cells do not wrap): that makes windowing exact.
import { Table, Tbody, Thead } from "@patternfly/react-table";
import type { ReactNode } from "react";
import { Spacer, useRowWindow } from "./VirtualRows.tsx";

/** Cells of windowed rows: one line, cut with an ellipsis (a wrapped cell would break the fixed row height). */
export const oneLine = { whiteSpace: "nowrap", overflow: "hidden", textOverflow: "ellipsis" } as const;

const NO_MORE = () => undefined;

export interface WindowedTableProps<T> {
  /** aria-label of the table. */
  label: string;
  /** data-testid of the table; its scroll container gets `<scrollTestId>`. */
  testId: string;
  scrollTestId: string;
  rows: readonly T[];
  rowHeight: number;
  /** The header row (`<Tr><Th>…</Tr>`) and how many columns it has (the spacers span them). */
  header: ReactNode;
  columns: number;
  /** One `<Tr style={{height: rowHeight}}>` per row; `index` is the row's index in `rows`. */
  renderRow: (row: T, index: number) => ReactNode;
  /** Called when the window nears the last loaded row (fetch the next page); absent when all rows are loaded. */
  onNeedMore?: () => void;
}

export function WindowedTable<T>({ label, testId, scrollTestId, rows, rowHeight, header, columns, renderRow, onNeedMore }: WindowedTableProps<T>) {
  const { ref, onScroll, window: w } = useRowWindow(rows.length, rowHeight, onNeedMore ?? NO_MORE);
  return (
    // data-rows: how many rows are loaded (benches wait for it after a fling to the end).
    <div ref={ref} onScroll={onScroll} style={{ height: "calc(100vh - 260px)", minHeight: 300, overflow: "auto" }} data-testid={scrollTestId} data-rows={rows.length}>
      <Table aria-label={label} variant="compact" data-testid={testId} isStickyHeader>
        <Thead>{header}</Thead>
        <Tbody>
          <Spacer height={w.padTop} colSpan={columns} />
          {rows.slice(w.start, w.end).map((row, i) => renderRow(row, w.start + i))}
          <Spacer height={w.padBottom} colSpan={columns} />
        </Tbody>
      </Table>
    </div>
  );
}
