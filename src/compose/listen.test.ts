import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkTransport, isLoopback, parseListen, urlFor } from "./listen.ts";

describe("listen address", () => {
  it("parses host:port, IPv6 and bare ports", () => {
    assert.deepEqual(parseListen("127.0.0.1:7780"), { host: "127.0.0.1", port: 7780 });
    assert.deepEqual(parseListen("[::1]:0"), { host: "::1", port: 0 });
    assert.deepEqual(parseListen(":8080"), { host: "127.0.0.1", port: 8080 });
    assert.throws(() => parseListen("7780"), /HOST:PORT/);
    assert.throws(() => parseListen("a:99999"), /HOST:PORT/);
  });

  it("recognises loopback", () => {
    assert.ok(isLoopback("127.0.0.1") && isLoopback("::1") && isLoopback("localhost"));
    assert.ok(!isLoopback("0.0.0.0") && !isLoopback("10.0.0.1"));
  });

  it("needs TLS or --insecure-http off loopback", () => {
    assert.doesNotThrow(() => checkTransport("127.0.0.1", {}, false));
    assert.throws(() => checkTransport("0.0.0.0", {}, false), /--tls-cert FILE --tls-key FILE, or --insecure-http/);
    assert.doesNotThrow(() => checkTransport("0.0.0.0", {}, true));
    assert.doesNotThrow(() => checkTransport("0.0.0.0", { cert: "c", key: "k" }, false));
    assert.throws(() => checkTransport("127.0.0.1", { cert: "c" }, false), /go together/);
  });

  it("formats URLs", () => {
    assert.equal(urlFor("http", "::1", 80), "http://[::1]:80");
    assert.equal(urlFor("https", "example.org", 443), "https://example.org:443");
  });
});
