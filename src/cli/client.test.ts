import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { LandfallClient } from "./client.ts";

test("a request to a server that never answers fails with a clear timeout instead of hanging", async (t) => {
  const hung = createServer(() => {});
  await new Promise<void>((r) => hung.listen(0, "127.0.0.1", r));
  t.after(() => {
    hung.closeAllConnections();
    hung.close();
  });
  const { port } = hung.address() as AddressInfo;
  const client = new LandfallClient({ server: `http://127.0.0.1:${port}`, token: "t" }, { timeoutMs: 300 });
  const t0 = Date.now();
  await assert.rejects(client.request("GET", "/apis/landfall.dev/v1beta1/namespaces/default/virtualmachines"), /did not answer GET .* within 0\.3 s/);
  assert.ok(Date.now() - t0 < 5000);
});
