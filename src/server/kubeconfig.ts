// The kubeconfig `serve` writes to <data-dir>/kubeconfig: the Kubernetes listener, the CA that signed its
// certificate and the admin token, so `KUBECONFIG=<data-dir>/kubeconfig kubectl get lfvm -A` works as is.
import { stringify } from "yaml";

export const KUBECONFIG_NAME = "landfall";

/** `ca` undefined: the server's certificate is one the system trusts (given with --tls-cert). */
export function kubeconfigFor(server: string, token: string, ca: string | undefined): string {
  const cluster = { server, ...(ca ? { "certificate-authority-data": Buffer.from(ca).toString("base64") } : {}) };
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: KUBECONFIG_NAME, cluster }],
    users: [{ name: `${KUBECONFIG_NAME}-admin`, user: { token } }],
    contexts: [{ name: KUBECONFIG_NAME, context: { cluster: KUBECONFIG_NAME, user: `${KUBECONFIG_NAME}-admin`, namespace: "default" } }],
    "current-context": KUBECONFIG_NAME,
    preferences: {},
  });
}
