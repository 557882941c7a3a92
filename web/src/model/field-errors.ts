// The API's field errors (Status details.causes[].field) sorted to the form fields that caused them, so each
// message is shown next to its field; causes no field of the form claims are shown above the form.
import { ApiRequestError, type StatusCause } from "../api/client.ts";

export interface FieldErrors {
  /** Messages per form field id. */
  byField: Record<string, string[]>;
  /** Causes no field of the form claims (and the Status message when there are no causes). */
  general: string[];
}

/**
 * `fields` maps each form field id to the API paths it edits (e.g. "endpoint" → ["spec.endpoint"]). A cause
 * belongs to a field when its path equals one of them or lies under it ("spec.tls" claims "spec.tls.thumbprint").
 * Paths are compared without a leading "$." or "/" and with "/" read as ".", as servers write either form.
 */
export function sortFieldErrors(error: unknown, fields: Record<string, readonly string[]>): FieldErrors {
  const out: FieldErrors = { byField: {}, general: [] };
  if (!error) return out;
  const causes: StatusCause[] = error instanceof ApiRequestError ? error.causes : [];
  for (const cause of causes) {
    const path = cause.field ? normalise(cause.field) : "";
    const owner = path ? Object.keys(fields).find((id) => fields[id].some((p) => path === normalise(p) || path.startsWith(`${normalise(p)}.`) || path.startsWith(`${normalise(p)}[`))) : undefined;
    if (owner) out.byField[owner] = [...(out.byField[owner] ?? []), cause.message];
    else out.general.push(cause.field ? `${cause.field}: ${cause.message}` : cause.message);
  }
  if (causes.length === 0) out.general.push(error instanceof Error ? error.message : String(error));
  return out;
}

const normalise = (path: string): string => path.replace(/^\$\.?/, "").replace(/^\//, "").replaceAll("/", ".");
