// The local CA: created once, a serving certificate it signed that covers the listen host, keys 0600,
// reissued when the host changes.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { certificateFits, ensureServingCertificate, subjectAltNames } from "./local-ca.ts";

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("local CA", () => {
  it("issues a serving certificate for loopback and the host, signed by a CA it keeps; keys are 0600", async () => {
    const dir = await mkdtemp(join(tmpdir(), "landfall-ca-"));
    dirs.push(dir);
    const first = await ensureServingCertificate(dir, "127.0.0.1");
    const ca = new X509Certificate(first.ca);
    const cert = new X509Certificate(first.cert);
    assert.ok(cert.checkIssued(ca) && cert.verify(ca.publicKey));
    assert.ok(ca.ca && !cert.ca);
    assert.equal(cert.checkIP("127.0.0.1"), "127.0.0.1");
    assert.equal(cert.checkHost("localhost"), "localhost");
    for (const key of ["ca.key", "server.key"]) assert.equal((await stat(join(dir, key))).mode & 0o777, 0o600, key);

    const again = await ensureServingCertificate(dir, "127.0.0.1");
    assert.equal(again.cert, first.cert, "reused while it fits");
    const moved = await ensureServingCertificate(dir, "10.1.2.3");
    assert.equal(moved.ca, first.ca, "the CA stays (kubeconfigs keep trusting it)");
    assert.notEqual(moved.cert, first.cert);
    assert.equal(new X509Certificate(moved.cert).checkIP("10.1.2.3"), "10.1.2.3");
  });

  it("judges fit by names and remaining validity", async () => {
    const dir = await mkdtemp(join(tmpdir(), "landfall-ca-"));
    dirs.push(dir);
    const { cert } = await ensureServingCertificate(dir, "landfall.example");
    assert.ok(certificateFits(cert, "landfall.example", new Date()));
    assert.ok(!certificateFits(cert, "other.example", new Date()));
    assert.ok(!certificateFits(cert, "landfall.example", new Date(Date.now() + 824 * 86400_000)), "renewed within 30 days of expiry");
    assert.deepEqual(subjectAltNames("0.0.0.0"), ["DNS:localhost", "IP:127.0.0.1", "IP:::1"]);
  });
});
