// The import source CDI reads: over HTTPS (verified against the CA a DataVolume's certConfigMap would hold), the
// published URL serves exactly the image's bytes, whose sha256 is the checksum the DataVolume carries; nothing
// unpublished is served.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Agent, fetch } from "undici";
import { selfSignedCert } from "../../../test/harness/tls-cert.ts";
import { type ImageServer, startImageServer } from "./image-server.ts";
import { dataVolumeManifest } from "./manifests.ts";

describe("image server for CDI imports", () => {
  let dir: string;
  let server: ImageServer;
  let agent: Agent;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "landfall-images-"));
    const tls = await selfSignedCert(dir);
    server = await startImageServer({ host: "127.0.0.1", port: 0, ...tls });
    agent = new Agent({ connect: { ca: tls.cert } });
  });
  after(async () => {
    await server.close();
    await agent.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("the DataVolume's import URL serves exactly the verified bytes, with the sha256 it names", async () => {
    const image = join(dir, "web01-disk0.qcow2");
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    await writeFile(image, bytes);
    const sha = createHash("sha256").update(bytes).digest("hex");
    const published = server.publish(image, sha);
    const dv = dataVolumeManifest({ name: "web01-disk0", namespace: "t", sizeBytes: 2 ** 30, source: { type: "http", ...published, certConfigMap: "landfall-ca" } });
    const http = (dv.spec.source as { http: { url: string; checksum: string } }).http;
    assert.ok(http.url.startsWith("https://"));
    const res = await fetch(http.url, { dispatcher: agent });
    assert.equal(res.status, 200);
    const served = Buffer.from(await res.arrayBuffer());
    assert.equal(served.length, bytes.length);
    assert.equal(`sha256:${createHash("sha256").update(served).digest("hex")}`, http.checksum);

    server.unpublish(http.url);
    assert.equal((await fetch(http.url, { dispatcher: agent })).status, 404, "unpublished: gone");
    assert.equal((await fetch(`${server.url}/images/guess/${"web01-disk0.qcow2"}`, { dispatcher: agent })).status, 404, "only published paths");
    assert.throws(() => server.publish(image, "not-a-hash"), /64 lower-case hex/);
  });
});
