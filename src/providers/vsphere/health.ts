// Why a vSphere endpoint is not usable, in the Provider Ready condition's vocabulary. Pure.
import { SourceProviderError } from "./errors.ts";

export type HealthReason = "Connected" | "InvalidCredentials" | "TLSVerificationFailed" | "ThumbprintMismatch" | "Unreachable" | "ProviderError";

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "EPIPE",
  "EPROTO",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

// Node's own certificate errors, for when the connector's verdict is not the error that surfaces.
const TLS_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" ? code : "";
}

/** Reason and message for a failed check; follows `cause` chains (fetch-style wrappers). */
export function classifyFailure(err: unknown, endpoint: string, timeoutMs: number): { reason: HealthReason; message: string } {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof SourceProviderError) {
      if (e.code === "InvalidCredentials" || e.code === "TLSVerificationFailed" || e.code === "ThumbprintMismatch") {
        return { reason: e.code, message: e.message };
      }
      if (e.code === "Unreachable" || e.code === "Timeout") return { reason: "Unreachable", message: e.message };
    }
    const name = (e as { name?: unknown }).name;
    if (name === "TimeoutError" || name === "AbortError") {
      return { reason: "Unreachable", message: `${endpoint} did not answer within ${Math.round(timeoutMs / 1000)} s` };
    }
    const code = codeOf(e);
    if (TLS_CODES.has(code)) return { reason: "TLSVerificationFailed", message: `${endpoint}: ${(e as Error).message}` };
    if (NETWORK_CODES.has(code)) return { reason: "Unreachable", message: `${endpoint} is unreachable: ${code} ${(e as Error).message}` };
  }
  return { reason: "ProviderError", message: `${endpoint}: ${err instanceof Error ? err.message : String(err)}` };
}

/** Replaces every occurrence of a secret; messages that reach logs or status pass through this. */
export function redact(message: string, secrets: Array<string | undefined>): string {
  let out = message;
  for (const s of secrets) if (s && s.length > 0) out = out.split(s).join("***");
  return out;
}
