// Events: what a controller did or failed to do to an object, for `describe` and the dashboard. Each event
// is one structured log line plus an entry in a bounded in-memory ring per object. Repeats of the latest
// event (same type, reason, message) bump its count instead of filling the ring.
import type { KubeObject } from "../api/meta.ts";
import { type Logger, silentLogger } from "./logger.ts";

export type EventType = "Normal" | "Warning";

export interface RecordedEvent {
  type: EventType;
  reason: string;
  message: string;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  /** The controller that recorded it. */
  source?: string;
}

export interface EventRecorderOptions {
  logger?: Logger;
  /** Events kept per object. Default 50. */
  perObject?: number;
  /** Objects kept; the least recently recorded is dropped first. Default 2000. */
  maxObjects?: number;
  source?: string;
  now?: () => Date;
}

export interface EventSink {
  record(obj: Pick<KubeObject, "kind" | "metadata">, type: EventType, reason: string, message: string): void;
}

const objectKey = (kind: string, namespace: string, name: string) => `${kind}/${namespace}/${name}`;

export class EventRecorder implements EventSink {
  readonly #logger: Logger;
  readonly #perObject: number;
  readonly #maxObjects: number;
  readonly #source: string | undefined;
  readonly #now: () => Date;
  /** Insertion order = recency: a recorded object is moved to the end. */
  readonly #rings = new Map<string, RecordedEvent[]>();

  constructor(opts: EventRecorderOptions = {}) {
    this.#logger = opts.logger ?? silentLogger;
    this.#perObject = Math.max(1, opts.perObject ?? 50);
    this.#maxObjects = Math.max(1, opts.maxObjects ?? 2000);
    this.#source = opts.source;
    this.#now = opts.now ?? (() => new Date());
  }

  /** A recorder sharing these rings whose events name `source` (one per controller). */
  withSource(source: string): EventSink {
    return { record: (obj, type, reason, message) => this.#record(obj, type, reason, message, source) };
  }

  record(obj: Pick<KubeObject, "kind" | "metadata">, type: EventType, reason: string, message: string): void {
    this.#record(obj, type, reason, message, this.#source);
  }

  /** Events of one object, oldest first. */
  eventsFor(kind: string, namespace: string, name: string): RecordedEvent[] {
    return (this.#rings.get(objectKey(kind, namespace, name)) ?? []).map((e) => ({ ...e }));
  }

  #record(obj: Pick<KubeObject, "kind" | "metadata">, type: EventType, reason: string, message: string, source?: string): void {
    const namespace = obj.metadata.namespace ?? "default";
    const key = objectKey(obj.kind, namespace, obj.metadata.name);
    const at = this.#now().toISOString();
    const ring = this.#rings.get(key) ?? [];
    this.#rings.delete(key);
    this.#rings.set(key, ring);
    const last = ring[ring.length - 1];
    if (last && last.type === type && last.reason === reason && last.message === message && last.source === source) {
      last.count++;
      last.lastTimestamp = at;
    } else {
      const event: RecordedEvent = { type, reason, message, count: 1, firstTimestamp: at, lastTimestamp: at };
      if (source !== undefined) event.source = source;
      ring.push(event);
      if (ring.length > this.#perObject) ring.splice(0, ring.length - this.#perObject);
    }
    while (this.#rings.size > this.#maxObjects) {
      const oldest = this.#rings.keys().next().value;
      if (oldest === undefined) break;
      this.#rings.delete(oldest);
    }
    const fields = { event: type, reason, kind: obj.kind, namespace, name: obj.metadata.name, uid: obj.metadata.uid, source };
    if (type === "Warning") this.#logger.warn(message, fields);
    else this.#logger.info(message, fields);
  }
}
