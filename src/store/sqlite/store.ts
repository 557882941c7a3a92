// The embedded ResourceStore: Kubernetes API semantics (object-rules.ts) over one SQLite file with a global
// revision counter and an event history that watchers replay.
import { randomUUID } from "node:crypto";
import { ApiError } from "../../api/errors.ts";
import { KINDS } from "../../api/kinds.ts";
import { DEFAULT_NAMESPACE, type KubeObject } from "../../api/meta.ts";
import { decodeContinue, encodeContinue, type ListPosition } from "../continue-token.ts";
import { fieldKeys, fieldsBuilder, pickFields } from "../fields.ts";
import { labelSelectorMatcher, type Labels } from "../selector.ts";
import type { DeleteOptions, JsonListResult, ListOptions, ListResult, ResourceStore, WatchEvent, WatchEventType, WatchOptions } from "../types.ts";
import { objectCodec } from "./codec.ts";
import { type ObjectRow, StoreDatabase } from "./database.ts";
import { planCreate, planDelete, planStatusUpdate, planUpdate, requireIdentity, timestamp, type WritePlan } from "./object-rules.ts";
import { normalizeSecret, secretSealer } from "./secret-at-rest.ts";
import { GroupCommit } from "./group-commit.ts";
import { Wakeups } from "./wakeups.ts";
import { watchKind } from "./watch.ts";

export interface SqliteStoreOptions {
  /** Database file, or ":memory:". */
  path: string;
  /** 32 bytes: Secrets' data is sealed with AES-256-GCM in the file. Without it Secrets are stored as given. */
  secretKey?: Uint8Array;
  /** Keep at least this many latest events for watchers (default 10,000). */
  historyLimit?: number;
  /** Keep every event at least this long (default 10 minutes). */
  historyRetentionMs?: number;
}

/** The sqlite store adds one operation to ResourceStore: forgetting history on demand (tests, maintenance). */
export interface SqliteStore extends ResourceStore {
  /** Drops all watch history up to the current revision; watches from older revisions then get Gone. */
  compactHistory(): Promise<void>;
}

const LIST_PAGE = 500;

const hasStatus = (kind: string): boolean => KINDS.find((k) => k.kind === kind)?.hasStatus ?? true;

function labelsJson(obj: KubeObject | undefined): string | null {
  return obj === undefined ? null : JSON.stringify(obj.metadata.labels ?? {});
}

const labelsOf = (obj: KubeObject): string | null => (obj.metadata.labels === undefined ? null : JSON.stringify(obj.metadata.labels));

export async function openSqliteStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  const db = new StoreDatabase(options.path, {
    minEvents: options.historyLimit ?? 10_000,
    minAgeMs: options.historyRetentionMs ?? 10 * 60_000,
  });
  const codec = objectCodec(secretSealer(options.secretKey));
  const wakeups = new Wakeups();

  const ensureOpen = () => {
    if (wakeups.closed) throw new ApiError("ServiceUnavailable", "the store is closed");
  };

  const readCurrent = (kind: string, namespace: string, name: string): KubeObject => {
    const row = db.get(kind, namespace, name);
    if (!row) throw notFoundError(kind, namespace, name);
    return codec.decode(row.body);
  };

  // Writes of one event-loop turn share a transaction; watchers of every kind written wake after its commit.
  const commits = new GroupCommit<KubeObject>((planners) => {
    const outcomes = db.transactAll(planners);
    for (const kind of new Set(outcomes.flatMap((o) => (o.ok && o.written ? [o.written.kind] : [])))) wakeups.notify(kind);
    return outcomes;
  });

  /** Reads the current object, plans the write with `plan`, and commits it with its event (durably) before resolving. */
  const write = (kind: string, namespace: string, name: string, plan: (current: KubeObject | undefined) => WritePlan): Promise<KubeObject> => {
    ensureOpen();
    return commits.submit((rev) => {
      const row = db.get(kind, namespace, name);
      const current = row ? codec.decode(row.body) : undefined;
      const decided = plan(current);
      if (decided.action === "unchanged") return { result: decided.object };
      const object: KubeObject = { ...decided.object, metadata: { ...decided.object.metadata, resourceVersion: String(rev) } };
      const type: WatchEventType = decided.action === "remove" ? "DELETED" : current ? "MODIFIED" : "ADDED";
      const body = codec.encode(object);
      return { result: object, record: { kind, namespace, name, type, body, labels: labelsOf(object), prevLabels: labelsJson(current) } };
    });
  };

  /**
   * One page of `kind` in (namespace, name) order, each selected row turned into an item by `item`. The selector
   * reads the labels column, so rows it rejects are never decoded. One synchronous pass: no write can
   * interleave, so the page is consistent with resourceVersion.
   */
  const scan = <R>(kind: string, opts: ListOptions, item: (row: ObjectRow) => R): { items: R[]; resourceVersion: string; continue?: string } => {
    ensureOpen();
    const matches = opts.labelSelector ? labelSelectorMatcher(opts.labelSelector) : undefined;
    const limit = opts.limit ?? 0;
    if (!Number.isInteger(limit) || limit < 0) throw new ApiError("BadRequest", `limit ${limit} must be a non-negative integer (0: no limit)`);
    let after: ListPosition | undefined = opts.continue ? decodeContinue(opts.continue) : undefined;
    const resourceVersion = String(db.revision());
    const items: R[] = [];
    let last: ObjectRow | undefined;
    for (;;) {
      const rows = db.list(kind, opts.namespace || undefined, after, LIST_PAGE);
      for (const row of rows) {
        if (matches && !matches(row.labels === null ? undefined : (JSON.parse(row.labels) as Labels))) continue;
        if (limit > 0 && items.length === limit && last) {
          return { items, resourceVersion, continue: encodeContinue({ namespace: last.namespace, name: last.name }) };
        }
        items.push(item(row));
        last = row;
      }
      if (rows.length < LIST_PAGE) return { items, resourceVersion };
      const end = rows[rows.length - 1];
      after = { namespace: end.namespace, name: end.name };
    }
  };

  /**
   * A page read by SQLite as one joined text (`read`: listBodies or listFieldValues) without a selector: one
   * synchronous read, so the page is consistent with resourceVersion.
   */
  const joined = (
    kind: string,
    opts: ListOptions,
    read: (namespace: string | undefined, after: ListPosition | undefined, limit: number) => { text: Uint8Array | null; count: number },
  ): { chunks: Uint8Array[]; resourceVersion: string; continue?: string } => {
    ensureOpen();
    const limit = opts.limit ?? 0;
    if (!Number.isInteger(limit) || limit < 0) throw new ApiError("BadRequest", `limit ${limit} must be a non-negative integer (0: no limit)`);
    const after: ListPosition | undefined = opts.continue ? decodeContinue(opts.continue) : undefined;
    const namespace = opts.namespace || undefined;
    const resourceVersion = String(db.revision());
    const page = read(namespace, after, limit);
    const chunks = page.text && page.count > 0 ? [page.text] : [];
    if (limit === 0 || page.count < limit) return { chunks, resourceVersion };
    const last = db.keyAt(kind, namespace, after, limit - 1);
    const more = last !== undefined && db.list(kind, namespace, last, 1).length > 0;
    return more ? { chunks, resourceVersion, continue: encodeContinue(last) } : { chunks, resourceVersion };
  };

  const bodies = (kind: string, opts: ListOptions): JsonListResult =>
    joined(kind, opts, (namespace, after, limit) => {
      const page = db.listBodies(kind, namespace, after, limit);
      return { text: page.bodies, count: page.count };
    });

  const existing = (current: KubeObject | undefined, kind: string, namespace: string, name: string): KubeObject => {
    if (current === undefined) throw notFoundError(kind, namespace, name);
    return current;
  };

  const prepare = (obj: KubeObject): KubeObject => (obj.kind === "Secret" ? normalizeSecret(obj) : obj);

  const store: SqliteStore = {
    async get<T extends KubeObject = KubeObject>(kind: string, namespace: string, name: string): Promise<T> {
      ensureOpen();
      return readCurrent(kind, namespace || DEFAULT_NAMESPACE, name) as T;
    },

    async list<T extends KubeObject = KubeObject>(kind: string, opts: ListOptions = {}): Promise<ListResult<T>> {
      return scan(kind, opts, (row) => codec.decode(row.body) as T);
    },

    async listJson(kind: string, opts: ListOptions = {}): Promise<JsonListResult> {
      // Only sealed Secrets need decoding, and only a label selector needs each row's labels; every other list
      // is the stored bodies as SQLite joins them.
      if (opts.labelSelector || kind === "Secret") {
        const page = scan(kind, opts, kind === "Secret" ? (row) => JSON.stringify(codec.decode(row.body)) : (row) => row.body);
        return { chunks: page.items.length > 0 ? [Buffer.from(page.items.join(","))] : [], resourceVersion: page.resourceVersion, continue: page.continue };
      }
      return bodies(kind, opts);
    },

    async listFields(kind: string, fields: readonly string[], opts: ListOptions = {}): Promise<ListResult> {
      // Sealed Secrets and label selectors take the decoding path; every other list has SQLite read the fields.
      if (opts.labelSelector || kind === "Secret") return scan(kind, opts, (row) => pickFields(codec.decode(row.body), fields));
      const paths = fields.map((f) => `$${fieldKeys(f).map((k) => `."${k}"`).join("")}`);
      const page = joined(kind, opts, (namespace, after, limit) => {
        const read = db.listFieldValues(kind, namespace, after, limit, paths);
        return { text: read.values, count: read.count };
      });
      const rows = page.chunks.length > 0 ? (JSON.parse(`[${Buffer.from(page.chunks[0]).toString("utf8")}]`) as unknown[][]) : [];
      const build = fieldsBuilder(fields);
      const items = rows.map(build);
      return { items, resourceVersion: page.resourceVersion, ...(page.continue ? { continue: page.continue } : {}) };
    },

    async create<T extends KubeObject>(obj: T): Promise<T> {
      const { kind, namespace, name } = requireIdentity(obj);
      const stored = planCreate(prepare(obj), { uid: randomUUID(), now: timestamp(new Date()) });
      return (await write(kind, namespace, name, (current) => {
        if (current) throw alreadyExistsError(kind, namespace, name);
        return { action: "write", object: stored };
      })) as T;
    },

    async update<T extends KubeObject>(obj: T): Promise<T> {
      const { kind, namespace, name } = requireIdentity(obj);
      const incoming = prepare(obj);
      return (await write(kind, namespace, name, (current) => planUpdate(existing(current, kind, namespace, name), incoming))) as T;
    },

    async updateStatus<T extends KubeObject>(obj: T): Promise<T> {
      const { kind, namespace, name } = requireIdentity(obj);
      return (await write(kind, namespace, name, (current) => planStatusUpdate(existing(current, kind, namespace, name), obj, hasStatus(kind)))) as T;
    },

    async delete<T extends KubeObject = KubeObject>(kind: string, namespace: string, name: string, opts: DeleteOptions = {}): Promise<T> {
      const ns = namespace || DEFAULT_NAMESPACE;
      const now = timestamp(new Date());
      return (await write(kind, ns, name, (current) => planDelete(existing(current, kind, ns, name), now, opts.resourceVersion))) as T;
    },

    watch<T extends KubeObject = KubeObject>(kind: string, opts: WatchOptions = {}): AsyncIterable<WatchEvent<T>> {
      ensureOpen();
      return watchKind({ db, codec, wakeups }, kind, opts) as AsyncIterable<WatchEvent<T>>;
    },

    async revision(): Promise<string> {
      ensureOpen();
      return String(db.revision());
    },

    async compactHistory(): Promise<void> {
      ensureOpen();
      db.compactAll();
    },

    async close(): Promise<void> {
      if (!wakeups.closed) commits.flush();
      wakeups.close();
      db.close();
    },
  };
  return store;
}

function alreadyExistsError(kind: string, namespace: string, name: string): ApiError {
  return new ApiError("AlreadyExists", `${kind} "${name}" already exists in namespace "${namespace}"; update it or pick another name`, {
    kind,
    name,
  });
}

function notFoundError(kind: string, namespace: string, name: string): ApiError {
  return new ApiError("NotFound", `${kind} "${name}" not found in namespace "${namespace}"`, { kind, name });
}
