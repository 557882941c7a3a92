// ResourceStore: the contract every storage backend (sqlite, kubernetes) implements and the shared
// contract suite (contract.test.ts) checks. Errors are ApiError (NotFound, AlreadyExists, Conflict, Gone).
import type { KubeObject } from "../api/meta.ts";

export interface ListOptions {
  /** Omitted: all namespaces. */
  namespace?: string;
  /** Kubernetes label selector: `a=b,c!=d,e,!f,g in (x,y),h notin (z)`. */
  labelSelector?: string;
  limit?: number;
  /** Opaque token from a previous page's `continue`. */
  continue?: string;
}

export interface ListResult<T extends KubeObject = KubeObject> {
  items: T[];
  /** The store's revision at the time of the list; watch from here to miss nothing. */
  resourceVersion: string;
  /** Set when more items remain. */
  continue?: string;
}

/**
 * A list whose items are the objects' JSON as UTF-8, exactly as `get` would return each one serialized: the
 * chunks, in order and joined by ",", are the inside of the list's JSON array. A chunk holds one or more whole
 * items (a store that keeps JSON hands over what it read, without a string per item).
 */
export interface JsonListResult {
  chunks: Uint8Array[];
  resourceVersion: string;
  continue?: string;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  object: T;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  /** Events strictly after this revision. Omitted: from now. Too old: ApiError Gone (410). */
  resourceVersion?: string;
  signal?: AbortSignal;
}

export interface DeleteOptions {
  /** Precondition: delete only this revision (409 otherwise). */
  resourceVersion?: string;
}

export interface ResourceStore {
  get<T extends KubeObject = KubeObject>(kind: string, namespace: string, name: string): Promise<T>;
  list<T extends KubeObject = KubeObject>(kind: string, options?: ListOptions): Promise<ListResult<T>>;
  /**
   * `list` with each item as JSON text: the same selection, order, pages and resourceVersion. A server answers
   * lists from it without parsing and re-serializing every object (a store that keeps JSON passes it through).
   */
  listJson(kind: string, options?: ListOptions): Promise<JsonListResult>;
  /**
   * `list` with each item reduced to `fields` (dotted paths from the root, not nested in one another, e.g.
   * `metadata`, `status.conditions`: fields.ts; null where an object has none): the same selection, order, pages
   * and resourceVersion, and each item exactly `pickFields(item, fields)`. A store that keeps JSON reads only those fields (a Table's columns).
   */
  listFields(kind: string, fields: readonly string[], options?: ListOptions): Promise<ListResult>;
  /** Sets uid, resourceVersion, generation 1, creationTimestamp; namespace defaults to "default". */
  create<T extends KubeObject>(obj: T): Promise<T>;
  /**
   * Replaces metadata (labels, annotations, finalizers, ownerReferences) and the body except status.
   * With metadata.resourceVersion: optimistic (409 Conflict when stale). Generation rises when spec changes.
   * Removing the last finalizer of an object being deleted deletes it.
   */
  update<T extends KubeObject>(obj: T): Promise<T>;
  /** Replaces status only; optimistic like update. Never changes generation. */
  updateStatus<T extends KubeObject>(obj: T): Promise<T>;
  /**
   * With finalizers: sets deletionTimestamp and returns the object (still present).
   * Without: removes it and returns the last state.
   */
  delete<T extends KubeObject = KubeObject>(kind: string, namespace: string, name: string, options?: DeleteOptions): Promise<T>;
  /** Events for one kind, in revision order. Ends when options.signal aborts. */
  watch<T extends KubeObject = KubeObject>(kind: string, options?: WatchOptions): AsyncIterable<WatchEvent<T>>;
  /** Current global revision. */
  revision(): Promise<string>;
  close(): Promise<void>;
}
