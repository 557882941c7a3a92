// What @kubernetes/client-node hands back, as landfall sees it: plain JSON objects, and its failures as ApiError
// keeping the server's Status reason and message. Pure; used by the Kubernetes store and the KubeVirt provider.
import { ApiError, reasonOfCode, STATUS_REASONS, type StatusBody, type StatusReason } from "./errors.ts";

const KNOWN_REASONS = new Set<string>(STATUS_REASONS);

export function reasonForCode(code: number): StatusReason {
  return reasonOfCode(code) ?? (code >= 500 ? "InternalError" : "BadRequest");
}

/**
 * A Kubernetes Status (from an error response body or a watch ERROR event) as ApiError. The reason is the
 * server's when landfall knows it (a real apiserver also says e.g. "Expired" for 410), else follows the code.
 */
export function statusToApiError(status: Partial<StatusBody> | undefined, fallbackMessage: string, fallbackCode = 500): ApiError {
  const code = typeof status?.code === "number" ? status.code : fallbackCode;
  const reason = status?.reason && KNOWN_REASONS.has(status.reason) ? status.reason : reasonForCode(code);
  const message = typeof status?.message === "string" && status.message !== "" ? status.message : fallbackMessage;
  return new ApiError(reason, message, status?.details);
}

function parseStatus(body: unknown): Partial<StatusBody> | undefined {
  if (typeof body === "object" && body !== null) return body as Partial<StatusBody>;
  if (typeof body !== "string" || body === "") return undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    return typeof parsed === "object" && parsed !== null ? (parsed as Partial<StatusBody>) : undefined;
  } catch {
    return undefined;
  }
}

/** Any error thrown by the client library (ApiException, a watch's HTTP error, a network error) → ApiError. */
export function toApiError(err: unknown, what: string): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as { code?: unknown; statusCode?: unknown; body?: unknown; message?: unknown; cause?: unknown };
  // ApiException carries the HTTP code in `code` and the raw body; the Watch's HTTP error carries `statusCode`.
  const httpCode = typeof e?.code === "number" ? e.code : typeof e?.statusCode === "number" ? e.statusCode : undefined;
  if (httpCode !== undefined) {
    const plain = typeof e.message === "string" ? e.message.split("\n")[0] : String(err);
    return statusToApiError(parseStatus(e.body), `${what}: HTTP ${httpCode} ${plain}`, httpCode);
  }
  const cause = e?.cause instanceof Error ? `: ${e.cause.message}` : "";
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError("ServiceUnavailable", `${what}: cannot reach the Kubernetes API server (${message}${cause}); check the server URL and that it is running`);
}

/** Runs one client-library call, mapping its failure to an ApiError named after what was attempted (toApiError). */
export async function kubeCall<R>(what: string, fn: () => Promise<R>): Promise<R> {
  try {
    return await fn();
  } catch (err) {
    throw toApiError(err, what);
  }
}

/**
 * The typed client turns timestamps into Date and objects into model instances; back to plain JSON.
 * Kubernetes timestamps have whole seconds (RFC 3339 "…Z"), so whole-second Dates print without ".000".
 */
export function plainJson(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString().replace(/\.000Z$/, "Z");
  if (Array.isArray(value)) return value.map(plainJson);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = plainJson(v);
    return out;
  }
  return value;
}
