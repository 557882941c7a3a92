// List pagination tokens: opaque to clients, they carry the last (namespace, name) key returned, so the next
// page starts strictly after it and every object is listed exactly once (absent concurrent writes).
import { ApiError } from "../api/errors.ts";

export interface ListPosition {
  namespace: string;
  name: string;
}

export function encodeContinue(pos: ListPosition): string {
  return Buffer.from(JSON.stringify({ v: 1, ns: pos.namespace, n: pos.name }), "utf8").toString("base64url");
}

export function decodeContinue(token: string): ListPosition {
  try {
    const raw = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { v?: unknown; ns?: unknown; n?: unknown };
    if (raw.v === 1 && typeof raw.ns === "string" && typeof raw.n === "string") return { namespace: raw.ns, name: raw.n };
  } catch {
    // fall through to the error below
  }
  throw new ApiError("BadRequest", `invalid continue token "${token}": pass the continue value of the previous page unchanged`);
}
