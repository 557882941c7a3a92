// Bearer-token authentication. Tokens carry an ID, a role (viewer, editor, admin), optionally namespaces and
// an expiry; they can be listed and revoked. Only sha256 digests are stored (tokens.json); the first start
// creates an admin token in admin.token (0600) and later starts reuse it.
import { timingSafeEqual } from "node:crypto";
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ApiError } from "../api/errors.ts";
import { type NewTokenSpec, newRecord, newToken, type Principal, principalOf, readRecord, type TokenInfo, type TokenRecord, tokenDigest, tokenInfo } from "./tokens.ts";

export { type Principal, parseRole, ROLES, type Role } from "./tokens.ts";

export interface Auth {
  /** The principal a presented token belongs to, or undefined (unknown, revoked or expired). */
  authenticate(token: string): Principal | undefined;
  /** The principal of a token ID while the token is still usable (sessions re-check it on every request). */
  principalById(id: string): Principal | undefined;
  /** Creates a token and returns it once; only its digest is kept. */
  createToken(spec: NewTokenSpec): Promise<{ token: string; info: TokenInfo }>;
  listTokens(): TokenInfo[];
  /** Marks the token revoked (kept in the listing); NotFound for an unknown ID. */
  revokeToken(id: string): Promise<TokenInfo>;
}

export interface AuthOptions {
  /** Milliseconds since the epoch; expiry is judged against it. */
  now?: () => number;
}

/** Looks a token up by digest in constant time per record. */
function findByToken(records: TokenRecord[], token: string): TokenRecord | undefined {
  const d = Buffer.from(tokenDigest(token), "hex");
  return records.find((r) => {
    const rd = Buffer.from(r.sha256, "hex");
    return rd.length === d.length && timingSafeEqual(rd, d);
  });
}

/** The Auth operations over a record list; `save` persists it after each change. */
function authOver(records: TokenRecord[], save: () => Promise<void>, now: () => number): Auth {
  return {
    authenticate: (token) => principalOf(findByToken(records, token), now()),
    principalById: (id) => principalOf(records.find((r) => r.id === id), now()),
    async createToken(spec) {
      const token = newToken();
      const record = newRecord(token, spec, now(), records.length);
      records.push(record);
      await save();
      return { token, info: tokenInfo(record) };
    },
    listTokens: () => records.map(tokenInfo),
    async revokeToken(id) {
      const record = records.find((r) => r.id === id);
      if (!record) throw new ApiError("NotFound", `token ID ${JSON.stringify(id)} does not exist; 'landfall token list' shows the IDs`);
      record.revokedAt ??= new Date(now()).toISOString();
      await save();
      return tokenInfo(record);
    },
  };
}

/** Auth kept in memory only (unit tests, or callers that persist elsewhere). */
export function memoryAuth(initial: Array<{ token: string } & NewTokenSpec> = [], opts: AuthOptions = {}): Auth {
  const now = opts.now ?? Date.now;
  const records = initial.map((t, i) => ({ ...newRecord(t.token, { ...t, name: t.name ?? t.role }, now(), i) }));
  return authOver(records, async () => undefined, now);
}

export interface FileAuth extends Auth {
  adminToken: string;
  adminTokenPath: string;
}

/** Auth backed by `<dataDir>/tokens.json`; ensures `<dataDir>/admin.token` exists and is registered. */
export async function openFileAuth(dataDir: string, opts: AuthOptions = {}): Promise<FileAuth> {
  const now = opts.now ?? Date.now;
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
  if (!findByToken(records, adminToken)) {
    records.push({ ...newRecord(adminToken, { role: "admin", name: "admin" }, now(), records.length) });
    await save();
  }
  return { adminToken, adminTokenPath, ...authOver(records, save, now) };
}

async function readRecords(path: string): Promise<TokenRecord[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return [];
  }
  try {
    const parsed = JSON.parse(text) as { tokens?: unknown[] };
    return Array.isArray(parsed.tokens) ? parsed.tokens.map(readRecord).filter((r): r is TokenRecord => r !== undefined) : [];
  } catch (err) {
    throw new Error(`${path} is not valid JSON (${(err as Error).message}); fix or remove it`);
  }
}

/** The token from `Authorization: Bearer …`, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m?.[1];
}
