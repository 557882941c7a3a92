// A kubeconfig file for the test API server, as `landfall operator --kubeconfig` reads it.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import type { KubeApiServer } from "./server.ts";

export async function writeKubeconfig(server: Pick<KubeApiServer, "url" | "token">, dir: string, namespace = "default"): Promise<string> {
  const path = join(dir, "kubeconfig");
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "test", cluster: { server: server.url, "insecure-skip-tls-verify": true } }],
    users: [{ name: "test", user: { token: server.token } }],
    contexts: [{ name: "test", context: { cluster: "test", user: "test", namespace } }],
    "current-context": "test",
  };
  await writeFile(path, stringify(config), { mode: 0o600 });
  return path;
}
