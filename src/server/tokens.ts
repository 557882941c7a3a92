// Token records: what tokens.json holds and the pure rules over it (parsing old records, whether a record
// still grants access, what a listing shows). No I/O here; auth.ts reads and writes the file.
import { createHash, randomBytes } from "node:crypto";
import { ApiError } from "../api/errors.ts";
import { DNS1123_LABEL } from "../api/meta.ts";
import { parseDurationSeconds } from "./duration.ts";

export type Role = "viewer" | "editor" | "admin";
export const ROLES: readonly Role[] = ["viewer", "editor", "admin"];

/** Who a request acts as. `namespaces` undefined = every namespace. */
export interface Principal {
  id: string;
  name: string;
  role: Role;
  namespaces?: string[];
}

export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  namespaces?: string[];
  sha256: string;
  createdAt: string;
  expiresAt?: string;
  revokedAt?: string;
}

/** What `token list` shows: everything but the digest. */
export type TokenInfo = Omit<TokenRecord, "sha256">;

export interface NewTokenSpec {
  role: Role;
  name?: string;
  namespaces?: string[];
  /** Lifetime in seconds; undefined = no expiry. */
  ttlSeconds?: number;
}

export const tokenDigest = (token: string): string => createHash("sha256").update(token).digest("hex");
export const newToken = (): string => `lf_${randomBytes(24).toString("base64url")}`;
const newTokenId = (): string => randomBytes(8).toString("hex");

const LABEL = new RegExp(DNS1123_LABEL);
const TOKEN_NAME = /^[A-Za-z0-9][-A-Za-z0-9_.]{0,62}$/;

export function parseRole(value: unknown): Role {
  if (typeof value === "string" && (ROLES as readonly string[]).includes(value)) return value as Role;
  throw new ApiError("BadRequest", `role ${JSON.stringify(value)} is not supported; use one of ${ROLES.join(", ")}`, {
    causes: [{ field: "role", message: `use one of ${ROLES.join(", ")}` }],
  });
}

/** Request body of POST /auth/tokens → a validated spec (every error names the field and the value). */
export function parseNewTokenSpec(body: unknown): NewTokenSpec {
  const b = (body ?? {}) as { role?: unknown; name?: unknown; namespaces?: unknown; ttl?: unknown };
  const role = parseRole(b.role);
  if (b.name !== undefined && (typeof b.name !== "string" || !TOKEN_NAME.test(b.name))) {
    throw new ApiError("BadRequest", `token name ${JSON.stringify(b.name)} must be 1-63 letters, digits, '-', '_' or '.'`, { causes: [{ field: "name", message: "invalid" }] });
  }
  let namespaces: string[] | undefined;
  if (b.namespaces !== undefined) {
    if (!Array.isArray(b.namespaces) || b.namespaces.length === 0) {
      throw new ApiError("BadRequest", `namespaces ${JSON.stringify(b.namespaces)} must be a non-empty list of namespace names, or left out for every namespace`, {
        causes: [{ field: "namespaces", message: "must be a non-empty list" }],
      });
    }
    for (const ns of b.namespaces) {
      if (typeof ns !== "string" || ns.length > 63 || !LABEL.test(ns)) {
        throw new ApiError("BadRequest", `namespace ${JSON.stringify(ns)} is not a valid namespace name: use lower-case letters, digits and '-'`, {
          causes: [{ field: "namespaces", message: "not a DNS-1123 label" }],
        });
      }
    }
    namespaces = [...new Set(b.namespaces as string[])].sort();
  }
  const ttlSeconds = b.ttl === undefined ? undefined : parseDurationSeconds("ttl", typeof b.ttl === "string" ? b.ttl : JSON.stringify(b.ttl));
  return { role, ...(b.name !== undefined ? { name: b.name as string } : {}), ...(namespaces ? { namespaces } : {}), ...(ttlSeconds !== undefined ? { ttlSeconds } : {}) };
}

/** A new record for `token` (only its digest is kept). */
export function newRecord(token: string, spec: NewTokenSpec, now: number, existing: number): TokenRecord {
  return {
    id: newTokenId(),
    name: spec.name ?? `${spec.role}-${existing + 1}`,
    role: spec.role,
    ...(spec.namespaces ? { namespaces: spec.namespaces } : {}),
    sha256: tokenDigest(token),
    createdAt: new Date(now).toISOString(),
    ...(spec.ttlSeconds !== undefined ? { expiresAt: new Date(now + spec.ttlSeconds * 1000).toISOString() } : {}),
  };
}

/**
 * A record as read from tokens.json, or undefined when it cannot be one. Records written before tokens had
 * IDs get an ID derived from their digest (stable across restarts), and no namespaces (= every namespace).
 */
export function readRecord(raw: unknown): TokenRecord | undefined {
  const r = raw as Partial<TokenRecord> | null;
  if (!r || typeof r !== "object" || typeof r.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(r.sha256)) return undefined;
  if (!(ROLES as readonly unknown[]).includes(r.role)) return undefined;
  return {
    id: typeof r.id === "string" && r.id ? r.id : r.sha256.slice(0, 16),
    name: typeof r.name === "string" ? r.name : r.role as Role,
    role: r.role as Role,
    ...(Array.isArray(r.namespaces) ? { namespaces: r.namespaces.filter((n): n is string => typeof n === "string") } : {}),
    sha256: r.sha256,
    createdAt: typeof r.createdAt === "string" ? r.createdAt : new Date(0).toISOString(),
    ...(typeof r.expiresAt === "string" ? { expiresAt: r.expiresAt } : {}),
    ...(typeof r.revokedAt === "string" ? { revokedAt: r.revokedAt } : {}),
  };
}

/** Whether a record grants access at `now`: not revoked, not expired. */
export const recordUsable = (r: TokenRecord, now: number): boolean => r.revokedAt === undefined && (r.expiresAt === undefined || Date.parse(r.expiresAt) > now);

export function principalOf(r: TokenRecord | undefined, now: number): Principal | undefined {
  if (!r || !recordUsable(r, now)) return undefined;
  return { id: r.id, name: r.name, role: r.role, ...(r.namespaces ? { namespaces: [...r.namespaces] } : {}) };
}

export function tokenInfo(r: TokenRecord): TokenInfo {
  const { sha256: _digest, ...info } = r;
  return info;
}
