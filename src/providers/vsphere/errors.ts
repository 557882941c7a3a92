// Errors of the vSphere provider. Each carries a stable `code` callers branch on; messages name the object
// and what to do, and never contain credentials.

/** Provider-level error codes (`code` property), shared with other providers by convention. */
export type SourceErrorCode =
  | "NotFound"
  | "ChangeIdInvalid"
  | "NotSupported"
  | "InvalidCredentials"
  | "TLSVerificationFailed"
  | "ThumbprintMismatch"
  | "Unreachable"
  | "Timeout"
  | "SourceError";

export class SourceProviderError extends Error {
  readonly code: SourceErrorCode;
  constructor(code: SourceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SourceProviderError";
    this.code = code;
  }
}

/** Which provider error code a vSphere fault type maps to. */
const FAULT_CODES: Record<string, SourceErrorCode> = {
  InvalidLogin: "InvalidCredentials",
  NotAuthenticated: "InvalidCredentials",
  ManagedObjectNotFound: "NotFound",
  NotFound: "NotFound",
  FileNotFound: "NotFound",
  NotSupported: "NotSupported",
  MethodNotFound: "NotSupported",
  NotImplemented: "NotSupported",
};

/** A SOAP fault from vSphere: `faultType` is the vim25 fault name (InvalidLogin, ManagedObjectNotFound, …). */
export class VsphereFault extends SourceProviderError {
  readonly method: string;
  readonly faultType: string;
  readonly detail: unknown;
  constructor(method: string, faultType: string, faultString: string, detail?: unknown) {
    super(FAULT_CODES[faultType] ?? "SourceError", `vSphere ${method} failed: ${faultType}: ${faultString}`);
    this.name = "VsphereFault";
    this.method = method;
    this.faultType = faultType;
    this.detail = detail;
  }
}

export function isFault(err: unknown, ...faultTypes: string[]): err is VsphereFault {
  return err instanceof VsphereFault && (faultTypes.length === 0 || faultTypes.includes(err.faultType));
}

export function notFound(message: string): SourceProviderError {
  return new SourceProviderError("NotFound", message);
}
