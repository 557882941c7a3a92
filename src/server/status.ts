// Every error leaves the server as a Kubernetes Status body, whatever threw it (handlers, Fastify itself).
import { ApiError, reasonOfCode } from "../api/errors.ts";

/** Fastify's own errors (FST_ERR_CTP_*) carry a statusCode; give them a reason and a message that says what to do. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as { statusCode?: number; code?: string; message?: string };
  const code = typeof e.statusCode === "number" ? e.statusCode : 500;
  switch (e.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new ApiError("RequestEntityTooLarge", "request body is larger than the 1 MiB limit; split the object or trim it");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new ApiError(
        "UnsupportedMediaType",
        `${e.message ?? "unsupported content type"}; send application/json, application/yaml, application/merge-patch+json or application/json-patch+json`,
      );
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new ApiError("BadRequest", "request body is empty; send a JSON or YAML object");
  }
  const reason = reasonOfCode(code);
  if (reason && code < 500) return new ApiError(reason, e.message ?? reason);
  return new ApiError("InternalError", `internal error: ${e.message ?? String(err)}`);
}
