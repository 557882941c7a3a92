// The Kubernetes listener of startEmbedded: TLS with the local CA the kubeconfig carries, the same
// authorization as --listen, the bound port recorded, and a clear error when its address is taken.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { type Embedded, startEmbedded } from "./embedded.ts";

const dirs: string[] = [];
let emb: Embedded;
let ca: string;

before(async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "landfall-kube-"));
  dirs.push(dataDir);
  emb = await startEmbedded({ dataDir, listen: "127.0.0.1:0", kubeListen: "127.0.0.1:0", controllers: [], version: "test" });
  const config = parse(await readFile(emb.kubeconfigPath, "utf8")) as { clusters: Array<{ cluster: { server: string; "certificate-authority-data": string } }>; users: Array<{ user: { token: string } }> };
  assert.equal(config.clusters[0].cluster.server, emb.kubeUrl);
  assert.equal(config.users[0].user.token, emb.adminToken);
  ca = Buffer.from(config.clusters[0].cluster["certificate-authority-data"], "base64").toString();
});
after(async () => {
  await emb?.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function get(path: string, token?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${emb.kubeUrl}${path}`, { ca, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("Kubernetes listener", () => {
  it("writes the kubeconfig 0600 with the bound port, and serves TLS the CA vouches for", async () => {
    assert.equal((await stat(emb.kubeconfigPath)).mode & 0o777, 0o600);
    assert.match(emb.kubeUrl, /^https:\/\/127\.0\.0\.1:[1-9]\d*$/);
    assert.notEqual(emb.kubeUrl, emb.url);
    assert.equal(await get("/apis/landfall.dev/v1beta1/namespaces/default/virtualmachines", emb.adminToken), 200);
  });

  it("authorizes exactly as the main listener", async () => {
    assert.equal(await get("/apis/landfall.dev/v1beta1/namespaces/default/virtualmachines"), 401);
    assert.equal(await get("/openapi/v3"), 401);
    assert.equal(await get("/openapi/v3", "not-a-token"), 401);
  });

  it("refuses an address in use, naming the flag", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "landfall-kube-"));
    dirs.push(dataDir);
    await assert.rejects(
      startEmbedded({ dataDir, listen: "127.0.0.1:0", kubeListen: emb.kubeUrl.replace("https://", ""), controllers: [], version: "test" }),
      /--kube-listen 127\.0\.0\.1:\d+ is in use .*port 0 for a free one/,
    );
  });
});
