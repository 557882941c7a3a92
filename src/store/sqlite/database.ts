// The SQLite layer of the store: schema, statements, the global revision counter and the event history.
// Rows hold serialized objects; what they mean (rules, secrets, events to watchers) lives in store.ts.
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { WatchEventType } from "../types.ts";

export interface ObjectRow {
  namespace: string;
  name: string;
  rv: number;
  body: string;
  /** The object's metadata.labels as JSON, null without labels: a label selector reads this, not the body. */
  labels: string | null;
}

export interface EventRow {
  rv: number;
  type: WatchEventType;
  body: string;
  /** Labels before this event (JSON), for label-selector watches that must see objects leave the selection. */
  prevLabels: string | null;
}

export interface HistoryPolicy {
  /** Keep at least this many most recent events. */
  minEvents: number;
  /** Keep every event younger than this. */
  minAgeMs: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS objects (
  kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, rv INTEGER NOT NULL, body TEXT NOT NULL,
  labels TEXT,
  PRIMARY KEY (kind, namespace, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  rv INTEGER PRIMARY KEY, kind TEXT NOT NULL, namespace TEXT NOT NULL, type TEXT NOT NULL,
  body TEXT NOT NULL, prev_labels TEXT, at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_kind ON events (kind, rv);
CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO counters (key, value) VALUES ('revision', 0);
CREATE TABLE IF NOT EXISTS compacted (kind TEXT PRIMARY KEY, rv INTEGER NOT NULL) WITHOUT ROWID;
`;

export interface WriteRecord {
  kind: string;
  namespace: string;
  name: string;
  type: WatchEventType;
  body: string;
  /** The object's labels as JSON (null: none), kept beside the body for label-selector lists. */
  labels: string | null;
  prevLabels: string | null;
}

/** What one planner of a transaction came to: its result (and revision, when it wrote), or its own error. */
export type PlannedWrite<T> = { ok: true; result: T; written?: { revision: number; kind: string } } | { ok: false; error: unknown };

export class StoreDatabase {
  readonly #db: DatabaseSync;
  readonly #policy: HistoryPolicy;
  readonly #stmt: Record<string, StatementSync>;

  constructor(path: string, policy: HistoryPolicy) {
    this.#db = new DatabaseSync(path);
    this.#policy = policy;
    // WAL lets readers (a CLI, a backup) run beside the server; FULL sync keeps a committed write on power loss.
    this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;");
    this.#db.exec(SCHEMA);
    this.#addLabelsColumn();
    const p = (sql: string) => this.#db.prepare(sql);
    this.#stmt = {
      counter: p("SELECT value FROM counters WHERE key = ?"),
      setCounter: p("UPDATE counters SET value = ? WHERE key = ?"),
      get: p("SELECT namespace, name, rv, body, labels FROM objects WHERE kind = ? AND namespace = ? AND name = ?"),
      listAll: p(
        "SELECT namespace, name, rv, body, labels FROM objects WHERE kind = ? AND (namespace, name) > (?, ?) ORDER BY namespace, name LIMIT ?",
      ),
      listNs: p(
        "SELECT namespace, name, rv, body, labels FROM objects WHERE kind = ? AND namespace = ? AND name > ? ORDER BY name LIMIT ?",
      ),
      // group_concat without its own ORDER BY: with one, SQLite sorts all the bodies again in a temporary
      // b-tree (3-4× the time); the ordered, limited subquery cannot be flattened and feeds the aggregate in its
      // order — sqlite.test.ts ("in (namespace, name) order") fails should a SQLite version ever do otherwise.
      bodiesAll: p(
        "SELECT CAST(group_concat(body, ',') AS BLOB) AS bodies, count(*) AS n FROM (SELECT namespace, name, body FROM objects WHERE kind = ? AND (namespace, name) > (?, ?) ORDER BY namespace, name LIMIT ?)",
      ),
      bodiesNs: p(
        "SELECT CAST(group_concat(body, ',') AS BLOB) AS bodies, count(*) AS n FROM (SELECT name, body FROM objects WHERE kind = ? AND namespace = ? AND name > ? ORDER BY name LIMIT ?)",
      ),
      keyAtAll: p("SELECT namespace, name FROM objects WHERE kind = ? AND (namespace, name) > (?, ?) ORDER BY namespace, name LIMIT 1 OFFSET ?"),
      keyAtNs: p("SELECT namespace, name FROM objects WHERE kind = ? AND namespace = ? AND name > ? ORDER BY name LIMIT 1 OFFSET ?"),
      upsert: p(
        "INSERT INTO objects (kind, namespace, name, rv, body, labels) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind, namespace, name) DO UPDATE SET rv = excluded.rv, body = excluded.body, labels = excluded.labels",
      ),
      remove: p("DELETE FROM objects WHERE kind = ? AND namespace = ? AND name = ?"),
      addEvent: p("INSERT INTO events (rv, kind, namespace, type, body, prev_labels, at) VALUES (?, ?, ?, ?, ?, ?, ?)"),
      eventsAll: p("SELECT rv, type, body, prev_labels AS prevLabels FROM events WHERE kind = ? AND rv > ? ORDER BY rv LIMIT ?"),
      eventsNs: p(
        "SELECT rv, type, body, prev_labels AS prevLabels FROM events WHERE kind = ? AND namespace = ? AND rv > ? ORDER BY rv LIMIT ?",
      ),
      oldestEvent: p("SELECT rv, at FROM events ORDER BY rv LIMIT 1"),
      lastCompactable: p("SELECT max(rv) AS rv FROM events WHERE rv <= ? AND at <= ?"),
      dropEvents: p("DELETE FROM events WHERE rv <= ?"),
      droppedByKind: p(
        "INSERT INTO compacted (kind, rv) SELECT kind, max(rv) FROM events WHERE rv <= ? GROUP BY kind ON CONFLICT (kind) DO UPDATE SET rv = max(rv, excluded.rv)",
      ),
      compactedFor: p("SELECT rv FROM compacted WHERE kind = ?"),
    };
  }

  /** Databases written before the labels column existed get it, filled from the bodies, on open. */
  #addLabelsColumn(): void {
    const columns = this.#db.prepare("PRAGMA table_info(objects)").all() as Array<{ name: string }>;
    if (columns.some((c) => c.name === "labels")) return;
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      this.#db.exec("ALTER TABLE objects ADD COLUMN labels TEXT");
      this.#db.exec("UPDATE objects SET labels = json_extract(body, '$.metadata.labels')");
      this.#db.exec("COMMIT");
    } catch (err) {
      this.#db.exec("ROLLBACK");
      throw err;
    }
  }

  revision(): number {
    return Number((this.#stmt.counter.get("revision") as { value: number }).value);
  }

  /**
   * Events of `kind` at or below this revision may be gone from the history. Kept per kind so that busy kinds
   * compacting away their history never invalidate a watcher of a quiet kind.
   */
  compacted(kind: string): number {
    const row = this.#stmt.compactedFor.get(kind) as { rv: number } | undefined;
    return row === undefined ? 0 : Number(row.rv);
  }

  get(kind: string, namespace: string, name: string): ObjectRow | undefined {
    return this.#stmt.get.get(kind, namespace, name) as ObjectRow | undefined;
  }

  /** Objects of a kind in (namespace, name) order strictly after `after`. */
  list(kind: string, namespace: string | undefined, after: { namespace: string; name: string } | undefined, limit: number): ObjectRow[] {
    if (namespace !== undefined) {
      const from = after && after.namespace === namespace ? after.name : "";
      if (after && after.namespace > namespace) return [];
      return this.#stmt.listNs.all(kind, namespace, from, limit) as unknown as ObjectRow[];
    }
    return this.#stmt.listAll.all(kind, after?.namespace ?? "", after?.name ?? "", limit) as unknown as ObjectRow[];
  }

  /**
   * The bodies of up to `limit` objects (0: all) of a kind in list order strictly after `after`, joined by ","
   * into one UTF-8 buffer by SQLite itself: no JS string per row, so a list of thousands costs the garbage
   * collector nothing but one buffer (null when there are none).
   */
  listBodies(kind: string, namespace: string | undefined, after: { namespace: string; name: string } | undefined, limit: number): { bodies: Uint8Array | null; count: number } {
    const max = limit > 0 ? limit : -1;
    let row: { bodies: Uint8Array | null; n: number };
    if (namespace !== undefined) {
      if (after && after.namespace > namespace) return { bodies: null, count: 0 };
      const from = after && after.namespace === namespace ? after.name : "";
      row = this.#stmt.bodiesNs.get(kind, namespace, from, max) as typeof row;
    } else {
      row = this.#stmt.bodiesAll.get(kind, after?.namespace ?? "", after?.name ?? "", max) as typeof row;
    }
    return { bodies: row.bodies, count: Number(row.n) };
  }

  /**
   * listBodies reduced to fields: per object, a JSON array of the values at SQLite JSON paths (`$."a"."b"`), null
   * where there is none, joined by "," — SQLite reads the paths, so no whole object is parsed in JS.
   */
  listFieldValues(kind: string, namespace: string | undefined, after: { namespace: string; name: string } | undefined, limit: number, paths: readonly string[]): { values: Uint8Array | null; count: number } {
    const max = limit > 0 ? limit : -1;
    const stmt = this.#fieldsStatement(namespace !== undefined, paths.length);
    const args = [...paths];
    let row: { values: Uint8Array | null; n: number };
    if (namespace !== undefined) {
      if (after && after.namespace > namespace) return { values: null, count: 0 };
      const from = after && after.namespace === namespace ? after.name : "";
      row = stmt.get(...args, kind, namespace, from, max) as typeof row;
    } else {
      row = stmt.get(...args, kind, after?.namespace ?? "", after?.name ?? "", max) as typeof row;
    }
    return { values: row.values, count: Number(row.n) };
  }

  readonly #fieldStatements = new Map<string, StatementSync>();

  /** One prepared statement per (scope, number of paths); the paths are bound, never spliced into the SQL. */
  #fieldsStatement(namespaced: boolean, count: number): StatementSync {
    const key = `${namespaced ? "ns" : "all"}/${count}`;
    let stmt = this.#fieldStatements.get(key);
    if (!stmt) {
      const cells = Array.from({ length: count }, () => "body -> ?").join(", ");
      const rows = namespaced
        ? "SELECT name, body FROM objects WHERE kind = ? AND namespace = ? AND name > ? ORDER BY name LIMIT ?"
        : "SELECT namespace, name, body FROM objects WHERE kind = ? AND (namespace, name) > (?, ?) ORDER BY namespace, name LIMIT ?";
      // As bodiesAll: the ordered, limited subquery feeds group_concat in list order.
      stmt = this.#db.prepare(`SELECT CAST(group_concat(json_array(${cells}), ',') AS BLOB) AS "values", count(*) AS n FROM (${rows})`);
      this.#fieldStatements.set(key, stmt);
    }
    return stmt;
  }

  /** The position of the object `offset` places after `after` in list order (listBodies' last, for a continue token). */
  keyAt(kind: string, namespace: string | undefined, after: { namespace: string; name: string } | undefined, offset: number): { namespace: string; name: string } | undefined {
    if (namespace !== undefined) {
      if (after && after.namespace > namespace) return undefined;
      const from = after && after.namespace === namespace ? after.name : "";
      return this.#stmt.keyAtNs.get(kind, namespace, from, offset) as { namespace: string; name: string } | undefined;
    }
    return this.#stmt.keyAtAll.get(kind, after?.namespace ?? "", after?.name ?? "", offset) as { namespace: string; name: string } | undefined;
  }

  eventsAfter(kind: string, namespace: string | undefined, rv: number, limit: number): EventRow[] {
    const rows =
      namespace === undefined
        ? this.#stmt.eventsAll.all(kind, rv, limit)
        : this.#stmt.eventsNs.all(kind, namespace, rv, limit);
    return rows as unknown as EventRow[];
  }

  /**
   * Runs every planner in order in one immediate transaction: one commit (one fsync) for all of them. A planner
   * reads what it needs (seeing the writes of the planners before it) and returns the record to write, stamped
   * with the next revision it is given, or no record for nothing to write. A planner that throws fails alone
   * (it has written nothing); a failing database write or commit fails them all and rolls everything back.
   */
  transactAll<T>(planners: ReadonlyArray<(nextRevision: number) => { record?: WriteRecord; result: T }>): Array<PlannedWrite<T>> {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const now = Date.now();
      const start = this.revision();
      let rev = start;
      const outcomes = planners.map((plan): PlannedWrite<T> => {
        let planned: { record?: WriteRecord; result: T };
        try {
          planned = plan(rev + 1);
        } catch (error) {
          return { ok: false, error };
        }
        const { record, result } = planned;
        if (record === undefined) return { ok: true, result };
        rev++;
        if (record.type === "DELETED") this.#stmt.remove.run(record.kind, record.namespace, record.name);
        else this.#stmt.upsert.run(record.kind, record.namespace, record.name, rev, record.body, record.labels);
        this.#stmt.addEvent.run(rev, record.kind, record.namespace, record.type, record.body, record.prevLabels, now);
        return { ok: true, result, written: { revision: rev, kind: record.kind } };
      });
      // A batch that changed nothing writes nothing, so its commit syncs nothing (a no-op reconcile costs no fsync).
      if (rev !== start) {
        this.#stmt.setCounter.run(rev, "revision");
        this.#compact(rev, now);
      }
      this.#db.exec("COMMIT");
      return outcomes;
    } catch (err) {
      this.#db.exec("ROLLBACK");
      throw err;
    }
  }

  /** Drops history beyond the policy: an event goes only when it is both old enough and not among the newest. */
  #compact(rev: number, now: number): void {
    const cutoffRv = rev - this.#policy.minEvents;
    const cutoffAt = now - this.#policy.minAgeMs;
    const oldest = this.#stmt.oldestEvent.get() as { rv: number; at: number } | undefined;
    if (!oldest || oldest.rv > cutoffRv || oldest.at > cutoffAt) return;
    const upTo = (this.#stmt.lastCompactable.get(cutoffRv, cutoffAt) as { rv: number | null }).rv;
    if (upTo !== null) this.#dropThrough(upTo);
  }

  #dropThrough(rv: number): void {
    this.#stmt.droppedByKind.run(rv);
    this.#stmt.dropEvents.run(rv);
  }

  /** Forgets all history up to the current revision (watchers from older revisions then get Gone). */
  compactAll(): void {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      this.#dropThrough(this.revision());
      this.#db.exec("COMMIT");
    } catch (err) {
      this.#db.exec("ROLLBACK");
      throw err;
    }
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
