// Errors the libvirt target raises. `code` lets controllers decide (NotFound → create, AlreadyExists →
// adopt or fail the migration with TargetExists) without matching message text.

export type LibvirtErrorCode =
  | "NotFound"
  | "AlreadyExists"
  | "OutsideStorage"
  | "InvalidArgument"
  | "CommandFailed"
  | "ChecksumMismatch"
  | "Timeout";

export class LibvirtError extends Error {
  readonly code: LibvirtErrorCode;
  /** What a failed command printed on stderr, for callers that classify libvirt's own errors. */
  readonly stderr: string;

  constructor(code: LibvirtErrorCode, message: string, options?: { cause?: unknown; stderr?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "LibvirtError";
    this.code = code;
    this.stderr = options?.stderr ?? "";
  }
}
