import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createServer, type Server } from "node:tls";
import { selfSignedCert } from "../../../test/harness/tls-cert.ts";
import { bodyText, send } from "./http-request.ts";
import { createTrustedDispatcher, judgePeer, parseThumbprint, type TrustedDispatcher } from "./tls-trust.ts";

const SHA256 = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, "0").toUpperCase()).join(":");
const SHA1 = Array.from({ length: 20 }, (_, i) => (i + 100).toString(16).toUpperCase()).join(":");

test("parseThumbprint accepts SHA-256 and SHA-1 in any case and separator", () => {
  assert.deepEqual(parseThumbprint(SHA256.toLowerCase()), { algorithm: "sha256", value: SHA256 });
  assert.deepEqual(parseThumbprint(SHA1.replaceAll(":", "")), { algorithm: "sha1", value: SHA1 });
  assert.throws(() => parseThumbprint("AB:CD"), /2 bytes; expected a SHA-256/);
  assert.throws(() => parseThumbprint("zz:zz"), /not hexadecimal/);
});

const peer = { fingerprint256: SHA256, fingerprint: SHA1, authorized: false, authorizationError: "DEPTH_ZERO_SELF_SIGNED_CERT" };

test("a matching pin trusts a self-signed peer; a mismatch names both thumbprints", () => {
  assert.equal(judgePeer({ thumbprint: SHA256.toLowerCase() }, peer), undefined);
  assert.equal(judgePeer({ thumbprint: SHA1 }, peer), undefined);
  const wrong = SHA256.replace("00", "FF");
  const err = judgePeer({ thumbprint: wrong }, peer);
  assert.equal(err?.code, "ThumbprintMismatch");
  assert.ok(err?.message.includes(wrong) && err.message.includes(SHA256));
});

test("without a pin: verified peers pass, unverified fail unless insecureSkipVerify", () => {
  assert.equal(judgePeer({}, { ...peer, authorized: true }), undefined);
  const err = judgePeer({}, peer);
  assert.equal(err?.code, "TLSVerificationFailed");
  assert.ok(err?.message.includes("DEPTH_ZERO_SELF_SIGNED_CERT") && err.message.includes(SHA256));
  assert.equal(judgePeer({ insecureSkipVerify: true }, peer), undefined);
});

describe("the control path's agent over a real TLS server", () => {
  let dir: string;
  let server: Server;
  let url: URL;
  let fingerprint: string;
  /** Every byte the server received after the handshake, and each connection it accepted. */
  let received = 0;
  let connections = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "landfall-tls-trust-"));
    const { cert, key } = await selfSignedCert(dir);
    fingerprint = new X509Certificate(cert).fingerprint256;
    server = createServer({ cert, key }, (socket) => {
      connections++;
      socket.on("data", (d: Buffer) => {
        received += d.length;
        socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
      });
      socket.on("error", () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}/sdk`);
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  const post = (trust: TrustedDispatcher) =>
    send(url, { method: "POST", headers: { cookie: "vmware_soap_session=secret" }, body: "<Login>password</Login>", agent: trust.agentFor(url) });

  test("a wrong pin or no pin: the request fails with the judgement and the server receives not one byte of it", async () => {
    for (const [options, code] of [
      [{ thumbprint: Array(32).fill("AB").join(":") }, "ThumbprintMismatch"],
      [{}, "TLSVerificationFailed"],
    ] as const) {
      const trust = createTrustedDispatcher(options, { connectMs: 5_000 });
      await assert.rejects(post(trust), (err: Error & { code?: string }) => err.code === code);
      trust.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 100)); // anything sent would have arrived by now
    assert.equal(received, 0, "no request byte reached an untrusted server");
  });

  test("the right pin: requests share one judged keep-alive connection; closed, the agent keeps none", async () => {
    connections = 0;
    const trust = createTrustedDispatcher({ thumbprint: fingerprint }, { connectMs: 5_000 });
    for (let i = 0; i < 3; i++) {
      const reply = await post(trust);
      assert.equal(reply.statusCode, 200);
      assert.equal(await bodyText(reply.body), "ok");
    }
    assert.equal(connections, 1, "one connection for three requests");
    assert.equal(trust.lastThumbprint(), fingerprint);
    trust.close();
    await post(trust).then((reply) => bodyText(reply.body));
    assert.equal(connections, 2, "after close a request makes its own connection");
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(Object.values(trust.agentFor(url).freeSockets).flat().length, 0, "and the agent keeps it no longer");
  });
});
