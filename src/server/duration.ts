// Durations in query parameters and request bodies: "90s", "15m", "720h", "1h30m" (Go/kubectl style).
import { ApiError } from "../api/errors.ts";

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

export function parseDurationSeconds(field: string, value: string): number {
  const re = /(\d+(?:\.\d+)?)(h|m|s)/y;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    total += Number(m[1]) * UNIT_SECONDS[m[2]];
    consumed = re.lastIndex;
  }
  if (consumed === 0 || consumed !== value.length || total <= 0) {
    throw new ApiError("BadRequest", `${field} ${JSON.stringify(value)} is not a duration; use e.g. 90s, 15m, 24h or 1h30m`, { causes: [{ field, message: "not a duration" }] });
  }
  return total;
}
