// The test API server's object table: Kubernetes semantics (resourceVersion from one global counter,
// optimistic concurrency, generation, status subresource, finalizers, label selectors, pagination, watch
// history with compaction → 410) over plain maps. Every write is validated before it is stored.
import { randomUUID } from "node:crypto";
import { ApiError, conflict, invalid, notFound } from "../../../src/api/errors.ts";
import type { KubeObject } from "../../../src/api/meta.ts";
import { labelSelectorMatcher } from "../../../src/store/selector.ts";
import { apiVersionOf, type ResourceType } from "./resources.ts";
import type { Validator } from "./schemas.ts";

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

export interface Change {
  rv: number;
  type: ResourceType;
  event: EventType;
  object: KubeObject;
  /** The object before a MODIFIED change (to report objects entering or leaving a label selection). */
  previous?: KubeObject;
}

export interface ListPage {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
}

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
const clone = <T>(v: T): T => structuredClone(v);
const bodyOf = (o: KubeObject) => {
  const { metadata: _m, status: _s, ...rest } = o;
  return JSON.stringify(rest);
};

export class ObjectTable {
  readonly #validators: Map<string, Validator>;
  readonly #objects = new Map<string, KubeObject>();
  readonly #history: Change[] = [];
  readonly #listeners = new Set<(c: Change) => void>();
  #rv = 1000;
  #compactedThrough = 0;
  /** Writes seen per type (tests count what controllers did). */
  readonly writes = new Map<string, number>();

  constructor(validators: Map<string, Validator>) {
    this.#validators = validators;
  }

  revision(): string {
    return String(this.#rv);
  }

  /** Forget the watch history so far: watching from an older revision answers 410 Gone. */
  compact(): void {
    this.#compactedThrough = this.#rv;
    this.#history.length = 0;
  }

  get(type: ResourceType, namespace: string, name: string): KubeObject {
    const obj = this.#objects.get(key(type, namespace, name));
    if (!obj) throw notFound(type.kind, name);
    return clone(obj);
  }

  list(type: ResourceType, namespace: string | undefined, opts: { labelSelector?: string; limit?: number; continue?: string }): ListPage {
    const matches = labelSelectorMatcher(opts.labelSelector);
    const prefix = `${type.group}/${type.plural}/${namespace === undefined ? "" : `${namespace}/`}`;
    let keys = [...this.#objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    if (opts.continue) {
      const after = Buffer.from(opts.continue, "base64url").toString("utf8");
      keys = keys.filter((k) => k > after);
    }
    const items = keys.map((k) => this.#objects.get(k) as KubeObject).filter((o) => matches(o.metadata.labels));
    const limit = opts.limit && opts.limit > 0 ? opts.limit : items.length;
    const page = items.slice(0, limit);
    const last = page.at(-1);
    const more = items.length > limit && last !== undefined;
    return {
      items: clone(page),
      resourceVersion: this.revision(),
      ...(more ? { continue: Buffer.from(key(type, last.metadata.namespace as string, last.metadata.name)).toString("base64url") } : {}),
    };
  }

  create(type: ResourceType, namespace: string, body: KubeObject): KubeObject {
    const name = body.metadata?.name;
    if (!name) throw invalid(type.kind, "", [{ field: "metadata.name", message: "Required value: name is required" }]);
    if (body.metadata.namespace && body.metadata.namespace !== namespace) {
      throw new ApiError("BadRequest", `the namespace of the object (${body.metadata.namespace}) does not match the namespace on the request (${namespace})`);
    }
    const k = key(type, namespace, name);
    if (this.#objects.has(k)) throw new ApiError("AlreadyExists", `${type.plural}.${type.group} "${name}" already exists`, { kind: type.kind, name });
    const obj = normalise(type, {
      ...clone(body),
      apiVersion: apiVersionOf(type),
      kind: type.kind,
      metadata: {
        ...clone(body.metadata),
        namespace,
        uid: randomUUID(),
        creationTimestamp: now(),
        ...(tracksGeneration(type) ? { generation: 1 } : {}),
      },
    });
    if (type.statusSubresource) delete obj.status;
    delete obj.metadata.deletionTimestamp;
    this.#validate(type, obj);
    return this.#commit(type, k, obj, "ADDED");
  }

  update(type: ResourceType, namespace: string, name: string, body: KubeObject, subresource: "status" | undefined): KubeObject {
    const k = key(type, namespace, name);
    const current = this.#objects.get(k);
    if (!current) throw notFound(type.kind, name);
    if (body.metadata?.name !== undefined && body.metadata.name !== name) throw new ApiError("BadRequest", `the name of the object (${body.metadata.name}) does not match the name on the request (${name})`);
    const wanted = body.metadata?.resourceVersion;
    if (wanted && wanted !== current.metadata.resourceVersion) {
      throw conflict(type.kind, name, `the object has been modified; please apply your changes to the latest version and try again (resourceVersion ${current.metadata.resourceVersion}, request ${wanted})`);
    }
    let next: KubeObject;
    if (subresource === "status") {
      if (!type.statusSubresource) throw notFound(type.kind, `${name}/status`);
      next = { ...clone(current), status: clone(body.status) };
    } else {
      const owned = {
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
        namespace,
        name,
        ...(current.metadata.deletionTimestamp ? { deletionTimestamp: current.metadata.deletionTimestamp } : {}),
      };
      next = normalise(type, { ...clone(body), apiVersion: apiVersionOf(type), kind: type.kind, metadata: { ...clone(body.metadata), ...owned } });
      const added = (next.metadata.finalizers ?? []).filter((f) => !(current.metadata.finalizers ?? []).includes(f));
      if (current.metadata.deletionTimestamp && added.length > 0) {
        throw invalid(type.kind, name, [{ field: "metadata.finalizers", message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}` }]);
      }
      if (type.statusSubresource) {
        if (current.status === undefined) delete next.status;
        else next.status = clone(current.status);
      }
      if (tracksGeneration(type)) {
        const gen = current.metadata.generation ?? 1;
        next.metadata.generation = bodyOf(current) === bodyOf(next) ? gen : gen + 1;
      }
    }
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    if (JSON.stringify(next) === JSON.stringify(current)) return clone(current);
    this.#validate(type, next);
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      this.#objects.delete(k);
      return this.#commit(type, k, next, "DELETED", current);
    }
    return this.#commit(type, k, next, "MODIFIED", current);
  }

  delete(type: ResourceType, namespace: string, name: string, preconditions: { uid?: string; resourceVersion?: string } = {}): KubeObject {
    const k = key(type, namespace, name);
    const current = this.#objects.get(k);
    if (!current) throw notFound(type.kind, name);
    if (preconditions.uid && preconditions.uid !== current.metadata.uid) {
      throw conflict(type.kind, name, `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${current.metadata.uid}`);
    }
    if (preconditions.resourceVersion && preconditions.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(type.kind, name, `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`);
    }
    if ((current.metadata.finalizers ?? []).length > 0) {
      if (current.metadata.deletionTimestamp) return clone(current);
      return this.#commit(type, k, { ...clone(current), metadata: { ...clone(current.metadata), deletionTimestamp: now() } }, "MODIFIED", current);
    }
    this.#objects.delete(k);
    return this.#commit(type, k, clone(current), "DELETED", current);
  }

  /** Changes of `type` after revision `from`, oldest first; 410 Gone when that history was compacted. */
  changesSince(type: ResourceType, from: number): Change[] {
    if (from < this.#compactedThrough) throw new ApiError("Gone", `too old resource version: ${from} (${this.#compactedThrough})`);
    return this.#history.filter((c) => c.type === type && c.rv > from);
  }

  subscribe(listener: (c: Change) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #validate(type: ResourceType, obj: KubeObject): void {
    const validate = this.#validators.get(`${apiVersionOf(type)}/${type.kind}`);
    if (!validate) throw new Error(`the test API server has no schema for ${apiVersionOf(type)} ${type.kind}`);
    const causes = validate(obj);
    if (causes.length > 0) throw invalid(type.kind, obj.metadata.name, causes);
  }

  #commit(type: ResourceType, k: string, obj: KubeObject, event: EventType, previous?: KubeObject): KubeObject {
    this.#rv += 1;
    obj.metadata.resourceVersion = String(this.#rv);
    if (event !== "DELETED") this.#objects.set(k, obj);
    this.writes.set(type.kind, (this.writes.get(type.kind) ?? 0) + 1);
    const change: Change = { rv: this.#rv, type, event, object: clone(obj), ...(previous ? { previous: clone(previous) } : {}) };
    this.#history.push(change);
    for (const l of this.#listeners) l(change);
    return clone(obj);
  }
}

function key(type: ResourceType, namespace: string, name: string): string {
  return `${type.group}/${type.plural}/${namespace}/${name}`;
}

/** Generation is kept for every kind but core/v1 and Leases (as a real apiserver does). */
function tracksGeneration(type: ResourceType): boolean {
  return type.group !== "" && type.group !== "coordination.k8s.io";
}

/** Secret stringData is write-only: merged into data (base64) before storing. */
function normalise(type: ResourceType, obj: KubeObject): KubeObject {
  if (type.kind === "Secret" && type.group === "" && obj.stringData) {
    const data = { ...((obj.data as Record<string, string>) ?? {}) };
    for (const [k, v] of Object.entries(obj.stringData as Record<string, string>)) data[k] = Buffer.from(v).toString("base64");
    obj.data = data;
    delete obj.stringData;
  }
  return obj;
}
