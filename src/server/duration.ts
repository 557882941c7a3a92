// Durations in query parameters and request bodies (ttl, since): the API's grammar, and more than zero.
import { notADuration, parseDurationMs } from "../api/duration.ts";
import { ApiError } from "../api/errors.ts";

export function parseDurationSeconds(field: string, value: string): number {
  const ms = parseDurationMs(value);
  if (ms === undefined || ms <= 0) throw new ApiError("BadRequest", notADuration(field, value), { causes: [{ field, message: "not a duration" }] });
  return ms / 1000;
}
