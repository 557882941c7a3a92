// Which rows of a long table to put in the DOM: only those in view plus a margin, with the space of the rest
// kept by two spacer heights, so 10,000 rows cost as much to render as a screenful.
export interface RowWindow {
  /** First rendered row (inclusive). */
  start: number;
  /** Last rendered row (exclusive). */
  end: number;
  /** Height of the rows above `start`, in px. */
  padTop: number;
  /** Height of the rows from `end` on, in px. */
  padBottom: number;
}

export function rowWindow(scrollTop: number, viewportHeight: number, rowHeight: number, count: number, overscan: number): RowWindow {
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0, padTop: 0, padBottom: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const start = Math.min(count, Math.max(0, first - overscan));
  const end = Math.min(count, first + Math.ceil(Math.max(0, viewportHeight) / rowHeight) + overscan);
  return { start, end, padTop: start * rowHeight, padBottom: (count - end) * rowHeight };
}

/** Whether the next page should be fetched: the window reaches within `threshold` rows of what is loaded. */
export const needsMore = (w: RowWindow, loaded: number, threshold: number): boolean => w.end >= loaded - threshold;
