import assert from "node:assert/strict";
import { test } from "node:test";
import { EncodedEvents, eventKey } from "./encoded-events.ts";

test("an event is encoded once for every watcher that sends it", () => {
  const cache = new EncodedEvents();
  let encodings = 0;
  const encode = () => {
    encodings++;
    return '{"type":"MODIFIED"}\n';
  };
  const key = eventKey("VirtualMachine", "42", "MODIFIED", "ndjson");
  const sent = Array.from({ length: 50 }, () => cache.get(key, encode));
  assert.equal(encodings, 1);
  assert.ok(sent.every((b) => b === sent[0]), "every watcher writes the same bytes");
  assert.equal(sent[0].toString("utf8"), '{"type":"MODIFIED"}\n');
});

test("type, revision, kind and wire format each make a different entry", () => {
  const keys = [eventKey("VirtualMachine", "42", "MODIFIED", "ndjson"), eventKey("VirtualMachine", "42", "ADDED", "ndjson"), eventKey("VirtualMachine", "43", "MODIFIED", "ndjson"), eventKey("Provider", "42", "MODIFIED", "ndjson"), eventKey("VirtualMachine", "42", "MODIFIED", "sse")];
  assert.equal(new Set(keys).size, keys.length);
  const cache = new EncodedEvents();
  for (const k of keys) assert.equal(cache.get(k, () => k).toString(), k);
});

test("keeps only the newest entries: an evicted event is encoded again", () => {
  const cache = new EncodedEvents(2);
  let encodings = 0;
  const get = (rv: string) => cache.get(eventKey("ConfigMap", rv, "ADDED", "ndjson"), () => `${++encodings}`);
  get("1");
  get("2");
  get("3");
  assert.equal(cache.size, 2);
  assert.equal(get("3").toString(), "3", "a kept entry is not encoded again");
  assert.equal(get("1").toString(), "4", "the oldest was dropped");
});
