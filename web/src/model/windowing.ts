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

/**
 * `block`: the window moves in steps of this many rows, so most scroll events leave it unchanged (and cause no
 * render); the rendered rows still cover the viewport wherever it is inside the step.
 */
export function rowWindow(scrollTop: number, viewportHeight: number, rowHeight: number, count: number, overscan: number, block = 1): RowWindow {
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0, padTop: 0, padBottom: 0 };
  const first = alignedFirstRow(scrollTop, rowHeight, block);
  const start = Math.min(count, Math.max(0, first - overscan));
  const end = Math.min(count, first + block - 1 + Math.ceil(Math.max(0, viewportHeight) / rowHeight) + overscan);
  return { start, end, padTop: start * rowHeight, padBottom: (count - end) * rowHeight };
}

/** The first visible row rounded down to a multiple of `block`: what the window depends on. */
export const alignedFirstRow = (scrollTop: number, rowHeight: number, block: number): number => {
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  return Math.floor(first / block) * block;
};

/** Whether the next page should be fetched: the window reaches within `threshold` rows of what is loaded. */
export const needsMore = (w: RowWindow, loaded: number, threshold: number): boolean => w.end >= loaded - threshold;
