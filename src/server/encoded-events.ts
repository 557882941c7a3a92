// One encoding of a watch event for every watcher that sends it. A revision names one write of one object, so
// the bytes of (kind, revision, event type, wire format) can never change: no entry goes stale, and with 50
// watchers an event is serialized and UTF-8 encoded once instead of 50 times. The newest `capacity` entries
// are kept (watchers follow the same recent events; one far behind encodes its own).
export const DEFAULT_ENCODED_EVENTS = 1024;

export class EncodedEvents {
  readonly #capacity: number;
  readonly #entries = new Map<string, Buffer>();

  constructor(capacity = DEFAULT_ENCODED_EVENTS) {
    this.#capacity = capacity;
  }

  /** The bytes for key, made by encode the first time the key is asked for. */
  get(key: string, encode: () => string): Buffer {
    const hit = this.#entries.get(key);
    if (hit) return hit;
    const bytes = Buffer.from(encode());
    this.#entries.set(key, bytes);
    if (this.#entries.size > this.#capacity) this.#entries.delete(this.#entries.keys().next().value as string);
    return bytes;
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** The key of one event as sent on one wire format. */
export const eventKey = (kind: string, resourceVersion: string, type: string, format: "ndjson" | "sse"): string => `${kind}/${resourceVersion}/${type}/${format}`;
