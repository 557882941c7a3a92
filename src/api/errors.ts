// API errors as Kubernetes Status bodies. Every layer (store, server, client) throws ApiError; the server
// renders it, the CLI prints its message.

export interface StatusCause {
  field?: string;
  message: string;
  reason?: string;
}

export type StatusReason =
  | "BadRequest"
  | "Unauthorized"
  | "Forbidden"
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "Gone"
  | "Expired"
  | "Invalid"
  | "MethodNotAllowed"
  | "NotAcceptable"
  | "RequestEntityTooLarge"
  | "UnsupportedMediaType"
  | "InternalError"
  | "ServiceUnavailable"
  | "Timeout";

export interface StatusBody {
  kind: "Status";
  apiVersion: "v1";
  status: "Failure";
  code: number;
  reason: StatusReason;
  message: string;
  details?: { kind?: string; name?: string; causes?: StatusCause[] };
}

const CODES: Record<StatusReason, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  Expired: 410,
  RequestEntityTooLarge: 413,
  UnsupportedMediaType: 415,
  Invalid: 422,
  InternalError: 500,
  ServiceUnavailable: 503,
  Timeout: 504,
};

/** The reasons the API uses, and the reason an HTTP code stands for (409 as Conflict, 410 as Gone: AlreadyExists and Expired say more). */
export const STATUS_REASONS = Object.keys(CODES) as StatusReason[];
const REASON_BY_CODE = new Map<number, StatusReason>();
for (const reason of STATUS_REASONS) if (!REASON_BY_CODE.has(CODES[reason])) REASON_BY_CODE.set(CODES[reason], reason === "AlreadyExists" ? "Conflict" : reason);
export const reasonOfCode = (code: number): StatusReason | undefined => REASON_BY_CODE.get(code);

export class ApiError extends Error {
  readonly code: number;
  readonly reason: StatusReason;
  readonly details?: StatusBody["details"];

  constructor(reason: StatusReason, message: string, details?: StatusBody["details"]) {
    super(message);
    this.name = "ApiError";
    this.reason = reason;
    this.code = CODES[reason];
    this.details = details;
  }

  toStatus(): StatusBody {
    return {
      kind: "Status",
      apiVersion: "v1",
      status: "Failure",
      code: this.code,
      reason: this.reason,
      message: this.message,
      ...(this.details ? { details: this.details } : {}),
    };
  }

  static fromStatus(body: StatusBody): ApiError {
    return new ApiError(body.reason, body.message, body.details);
  }
}

export const notFound = (kind: string, name: string) =>
  new ApiError("NotFound", `${kind} "${name}" not found`, { kind, name });
export const conflict = (kind: string, name: string, detail: string) =>
  new ApiError("Conflict", `Operation cannot be fulfilled on ${kind} "${name}": ${detail}`, { kind, name });
export const invalid = (kind: string, name: string, causes: StatusCause[]) =>
  new ApiError(
    "Invalid",
    `${kind} "${name}" is invalid: ${causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join("; ")}`,
    { kind, name, causes },
  );

export function isApiError(err: unknown, reason?: StatusReason): err is ApiError {
  return err instanceof ApiError && (reason === undefined || err.reason === reason);
}
