// Bearer-token authentication with three roles, optionally confined to namespaces. Only sha256 digests of tokens are stored (tokens.json); the
// first start creates an admin token in admin.token (0600) and later starts reuse it.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ApiError } from "../api/errors.ts";

export type Role = "viewer" | "editor" | "admin";
export const ROLES: readonly Role[] = ["viewer", "editor", "admin"];

export interface Principal {
  id: string;
  name: string;
  role: Role;
  /** Namespaces the token may use; undefined: every namespace. */
  namespaces?: string[];
}

export interface Auth {
  /** The principal a presented token belongs to, or undefined. */
  authenticate(token: string): Principal | undefined;
  /** Creates a token and returns it; only its digest is kept. */
  createToken(role: Role, name?: string, namespaces?: string[]): Promise<string>;
}

interface TokenRecord {
  name: string;
  role: Role;
  namespaces?: string[];
  sha256: string;
  createdAt: string;
}

const digest = (token: string): string => createHash("sha256").update(token).digest("hex");
export const newToken = (): string => `lf_${randomBytes(24).toString("base64url")}`;

export function parseRole(value: unknown): Role {
  if (typeof value === "string" && (ROLES as readonly string[]).includes(value)) return value as Role;
  throw new ApiError("BadRequest", `role ${JSON.stringify(value)} is not supported; use one of ${ROLES.join(", ")}`, {
    causes: [{ field: "role", message: `use one of ${ROLES.join(", ")}` }],
  });
}

/** A token's namespaces: absent (every namespace) or a list of DNS-1123 labels. */
export function parseNamespaces(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value) && value.length > 0 && value.every((n) => typeof n === "string" && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(n) && n.length <= 63)) return value as string[];
  throw new ApiError("BadRequest", `namespaces ${JSON.stringify(value)} must be a non-empty list of namespace names (DNS-1123 labels), or absent for every namespace`, {
    causes: [{ field: "namespaces", message: "use a non-empty list of namespace names" }],
  });
}

/** Looks a token up by digest in constant time per record. */
function findRecord(records: TokenRecord[], token: string): TokenRecord | undefined {
  const d = Buffer.from(digest(token), "hex");
  return records.find((r) => {
    const rd = Buffer.from(r.sha256, "hex");
    return rd.length === d.length && timingSafeEqual(rd, d);
  });
}

/** Auth kept in memory only (unit tests, or callers that persist elsewhere). */
export function memoryAuth(initial: Array<{ token: string; role: Role; name?: string; namespaces?: string[] }> = []): Auth {
  const records: TokenRecord[] = initial.map((t) => ({ name: t.name ?? t.role, role: t.role, ...(t.namespaces ? { namespaces: t.namespaces } : {}), sha256: digest(t.token), createdAt: new Date().toISOString() }));
  return {
    authenticate: (token) => toPrincipal(findRecord(records, token)),
    async createToken(role, name, namespaces) {
      const token = newToken();
      records.push(newRecord(token, role, name ?? `${role}-${records.length + 1}`, namespaces));
      return token;
    },
  };
}

const newRecord = (token: string, role: Role, name: string, namespaces: string[] | undefined): TokenRecord => ({
  name,
  role,
  ...(namespaces ? { namespaces } : {}),
  sha256: digest(token),
  createdAt: new Date().toISOString(),
});

/** The id is a prefix of the digest: stable, unique enough to name a token in logs, and no secret. */
const toPrincipal = (r: TokenRecord | undefined): Principal | undefined =>
  r ? { id: r.sha256.slice(0, 12), name: r.name, role: r.role, ...(r.namespaces ? { namespaces: r.namespaces } : {}) } : undefined;

export interface FileAuth extends Auth {
  adminToken: string;
  adminTokenPath: string;
}

/** Auth backed by `<dataDir>/tokens.json`; ensures `<dataDir>/admin.token` exists and is registered. */
export async function openFileAuth(dataDir: string): Promise<FileAuth> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const tokensPath = join(dataDir, "tokens.json");
  const adminTokenPath = join(dataDir, "admin.token");
  const records = await readRecords(tokensPath);

  const write = async () => {
    const tmp = `${tokensPath}.tmp`;
    await writeFile(tmp, `${JSON.stringify({ tokens: records }, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, tokensPath);
  };
  // One write at a time: concurrent writes of the same temp file interleave into invalid JSON (and the later
  // renames fail), which would fail the requests and stop the next start.
  let saving: Promise<void> = Promise.resolve();
  const save = (): Promise<void> => {
    const next = saving.then(write, write);
    saving = next.catch(() => undefined);
    return next;
  };

  let adminToken = (await readFile(adminTokenPath, "utf8").catch(() => "")).trim();
  if (!adminToken) {
    adminToken = newToken();
    await writeFile(adminTokenPath, `${adminToken}\n`, { mode: 0o600 });
  }
  // A token file copied in from elsewhere may carry wider permissions; it is a credential.
  await chmod(adminTokenPath, 0o600);
  if (!findRecord(records, adminToken)) {
    records.push({ name: "admin", role: "admin", sha256: digest(adminToken), createdAt: new Date().toISOString() });
    await save();
  }

  return {
    adminToken,
    adminTokenPath,
    authenticate: (token) => toPrincipal(findRecord(records, token)),
    async createToken(role, name, namespaces) {
      const token = newToken();
      records.push(newRecord(token, role, name ?? `${role}-${records.length + 1}`, namespaces));
      await save();
      return token;
    },
  };
}

async function readRecords(path: string): Promise<TokenRecord[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return [];
  }
  try {
    const parsed = JSON.parse(text) as { tokens?: TokenRecord[] };
    return Array.isArray(parsed.tokens) ? parsed.tokens.filter((t) => ROLES.includes(t.role) && (t.namespaces === undefined || Array.isArray(t.namespaces)) && /^[0-9a-f]{64}$/.test(t.sha256)) : [];
  } catch (err) {
    throw new Error(`${path} is not valid JSON (${(err as Error).message}); fix or remove it`);
  }
}

/** The token from `Authorization: Bearer …`, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m?.[1];
}
