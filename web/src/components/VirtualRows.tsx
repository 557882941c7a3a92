// A scrolling body for a PatternFly table that renders only the rows in view (model/windowing.ts) and asks
// for the next page as the window nears the end of what is loaded.
import { type ReactNode, type UIEvent, useEffect, useState } from "react";
import { alignedFirstRow, needsMore, rowWindow } from "../model/windowing.ts";

const OVERSCAN = 12;
/** The window moves 20 rows at a time: scrolling within a step renders nothing. */
const BLOCK = 20;
/** Rows left below the window when the next page is requested. */
const PREFETCH_ROWS = 100;

export function useRowWindow(count: number, rowHeight: number, onNeedMore: () => void) {
  // A callback ref: the scroll container may mount after the first render (once data arrived).
  const [el, ref] = useState<HTMLDivElement | null>(null);
  // Only the aligned first row is state: a scroll event that keeps it leaves React idle.
  const [firstRow, setFirstRow] = useState(0);
  const [height, setHeight] = useState(800);
  useEffect(() => {
    if (!el) return;
    setHeight(el.clientHeight);
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, [el]);
  const w = rowWindow(firstRow * rowHeight, height, rowHeight, count, OVERSCAN, BLOCK);
  const more = needsMore(w, count, PREFETCH_ROWS);
  useEffect(() => {
    if (more) onNeedMore();
  }, [more, onNeedMore]);
  return { ref, window: w, onScroll: (e: UIEvent<HTMLDivElement>) => setFirstRow(alignedFirstRow(e.currentTarget.scrollTop, rowHeight, BLOCK)) };
}

/** A spacer row keeping the height of rows not rendered; absent when there is nothing to keep. */
export function Spacer({ height, colSpan }: { height: number; colSpan: number }): ReactNode {
  if (height <= 0) return null;
  return (
    <tr data-spacer style={{ height, border: 0 }}>
      <td colSpan={colSpan} style={{ padding: 0, border: 0 }} />
    </tr>
  );
}
