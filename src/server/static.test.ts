import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { decideStatic, registerDashboard } from "./static.ts";

describe("decideStatic", () => {
  test("API paths never fall back to the dashboard", () => {
    for (const p of ["/apis", "/apis/landfall.dev/v1beta1/nope/x/y/z", "/api/v1/x/y/z/w", "/auth/tokens", "/auth", "/%61pis/x", "/APIS/x", "//api/v1", "/x/../auth/whoami"]) assert.deepEqual(decideStatic(p), { kind: "api" });
  });
  test("app routes fall back to index.html, files do not", () => {
    assert.deepEqual(decideStatic("/"), { kind: "file", relativePath: "index.html", fallbackToIndex: false });
    assert.deepEqual(decideStatic("/virtualmachines"), { kind: "file", relativePath: "virtualmachines", fallbackToIndex: true });
    assert.deepEqual(decideStatic("/assets/index-abc.js"), { kind: "file", relativePath: "assets/index-abc.js", fallbackToIndex: false });
  });
  test("traversal and malformed escapes are refused", () => {
    for (const p of ["/../etc/passwd", "/assets/%2e%2e/%2e%2e/etc/passwd", "/a/%00b", "/%E0%A4%A", "/a\\..\\b"]) assert.equal(decideStatic(p).kind, "invalid", p);
  });
});

describe("registerDashboard", () => {
  let dir: string;
  let app: FastifyInstance;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "landfall-static-"));
    await mkdir(join(dir, "assets"));
    await writeFile(join(dir, "index.html"), "<!doctype html><title>landfall</title>");
    await writeFile(join(dir, "assets", "app-1234.js"), "console.log(1)");
    await writeFile(join(tmpdir(), "landfall-static-secret.txt"), "TOP-SECRET-CONTENT");
    app = Fastify();
    app.get("/apis/landfall.dev/v1beta1/:plural", async () => ({ kind: "List" }));
    registerDashboard(app, dir);
  });
  after(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
    await rm(join(tmpdir(), "landfall-static-secret.txt"), { force: true });
  });

  test("serves index.html at / and for app routes, assets with their type and long caching", async () => {
    const root = await app.inject({ url: "/" });
    assert.equal(root.statusCode, 200);
    assert.match(root.headers["content-type"] as string, /text\/html/);
    assert.match(root.headers["content-security-policy"] as string, /default-src 'self'/);
    assert.match(root.body, /<title>landfall/);
    const route = await app.inject({ url: "/migrations?x=1" });
    assert.equal(route.statusCode, 200);
    assert.match(route.body, /<title>landfall/);
    const asset = await app.inject({ url: "/assets/app-1234.js" });
    assert.equal(asset.statusCode, 200);
    assert.match(asset.headers["content-type"] as string, /javascript/);
    assert.match(asset.headers["cache-control"] as string, /immutable/);
  });

  test("missing files are 404, traversal is refused, API routes are untouched", async () => {
    assert.equal((await app.inject({ url: "/assets/missing.js" })).statusCode, 404);
    const up = await app.inject({ url: "/assets/%2e%2e/%2e%2e/landfall-static-secret.txt" });
    assert.notEqual(up.statusCode, 200);
    assert.doesNotMatch(up.body, /TOP-SECRET-CONTENT/);
    assert.deepEqual((await app.inject({ url: "/apis/landfall.dev/v1beta1/vms" })).json(), { kind: "List" });
    const unknownApi = await app.inject({ url: "/apis/landfall.dev/v1beta1/a/b/c/d/e" });
    assert.equal(unknownApi.statusCode, 404);
    assert.doesNotMatch(unknownApi.body, /<title>/);
  });

  test("without a build, the page says how to build it", async () => {
    const bare = Fastify();
    registerDashboard(bare, join(dir, "nowhere"));
    const res = await bare.inject({ url: "/overview" });
    assert.equal(res.statusCode, 503);
    assert.match(res.body, /make setup/);
    await bare.close();
  });
});
