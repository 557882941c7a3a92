// What a reply to a ranged GET must look like before its body may be used: the decision is pure, so every
// way a server can answer (short 206, 416, a Content-Range for other bytes, a 200 that ignored Range) is
// tested without a server. A reply that does not carry exactly the bytes asked for is never padded.

// Parses `Content-Range: bytes a-b/total`, or the form a 416 carries (start and end a star). Pure.
export function parseContentRange(header: string | undefined): { start: number; end: number; total: number } | undefined {
  const m = /^bytes (?:(\d+)-(\d+)|\*)\/(\d+|\*)$/.exec(header?.trim() ?? "");
  if (!m) return undefined;
  return {
    start: m[1] === undefined ? Number.NaN : Number(m[1]),
    end: m[2] === undefined ? Number.NaN : Number(m[2]),
    total: m[3] === "*" ? Number.NaN : Number(m[3]),
  };
}

export interface RangeAsked {
  offset: number;
  length: number;
  /**
   * "exact": exactly [offset, offset+length) must come back. "head" (offset 0 only): up to `length` bytes —
   * fewer only when the reply says the file ends there.
   */
  mode: "exact" | "head";
}

export interface RangeReplyHeaders {
  status: number;
  contentRange?: string;
  contentLength?: number;
}

/** How many body bytes to use (the rest of a 200 is discarded), or why the reply is unusable. */
export type RangeVerdict = { bodyBytes: number } | { problem: string };

export function judgeRangeReply(asked: RangeAsked, reply: RangeReplyHeaders): RangeVerdict {
  const { offset, length, mode } = asked;
  const last = offset + length - 1;
  const range = parseContentRange(reply.contentRange);
  const shown = reply.contentRange === undefined ? "no Content-Range" : `Content-Range "${reply.contentRange}"`;
  if (reply.status === 206) {
    if (!range || Number.isNaN(range.start)) return { problem: `HTTP 206 with ${shown}` };
    if (Number.isNaN(range.total)) return { problem: `HTTP 206 with ${shown}: the file's size is not stated` };
    const end = mode === "head" ? Math.min(last, range.total - 1) : last;
    if (range.start !== offset || range.end !== end) return { problem: `HTTP 206 with ${shown}, not bytes ${offset}-${end}` };
    if (range.total < offset + length && mode === "exact") {
      return { problem: `HTTP 206 with ${shown}: the file is ${range.total} bytes, shorter than the ${offset + length} the disk's extent needs` };
    }
    return { bodyBytes: end - offset + 1 };
  }
  if (reply.status === 416) {
    // Only an empty file makes "bytes 0-…" unsatisfiable; anywhere else the file is shorter than the disk says.
    if (mode === "head" && offset === 0 && (range === undefined || range.total === 0)) return { bodyBytes: 0 };
    return { problem: `HTTP 416 (range not satisfiable) with ${shown}: the file ends before byte ${last}` };
  }
  if (reply.status === 200) {
    // The server ignored Range and sends the whole file: usable only from offset 0.
    if (offset !== 0) return { problem: "HTTP 200 with the whole file: the server ignores Range requests" };
    const size = reply.contentLength;
    if (size === undefined || !Number.isSafeInteger(size)) return { problem: "HTTP 200 without a Content-Length" };
    if (mode === "head") return { bodyBytes: Math.min(size, length) };
    if (size < length) return { problem: `HTTP 200 with a ${size}-byte file, shorter than the ${length} bytes the disk's extent needs` };
    return { bodyBytes: length };
  }
  return { problem: `HTTP ${reply.status}` };
}
