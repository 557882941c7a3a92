// A KubeConfig for one API server and one bearer token: landfall's own server in tests, a cluster otherwise.
import { KubeConfig } from "@kubernetes/client-node";

export interface ServerCredentials {
  /** e.g. https://10.0.0.1:6443 or http://127.0.0.1:7780 (no trailing path). */
  server: string;
  token: string;
  /** PEM CA bundle for an https server with a private CA. */
  caData?: string;
  skipTLSVerify?: boolean;
}

export function kubeConfigFor(creds: ServerCredentials): KubeConfig {
  if (!/^https?:\/\//.test(creds.server)) throw new Error(`server ${JSON.stringify(creds.server)} must be an http:// or https:// URL`);
  // client-node refuses plain http unless skipTLSVerify is set; with no TLS there is nothing to verify.
  const plainHttp = creds.server.startsWith("http://");
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: "landfall",
        server: creds.server.replace(/\/+$/, ""),
        skipTLSVerify: plainHttp || (creds.skipTLSVerify ?? false),
        ...(creds.caData ? { caData: Buffer.from(creds.caData).toString("base64") } : {}),
      },
    ],
    users: [{ name: "landfall", token: creds.token }],
    contexts: [{ name: "landfall", cluster: "landfall", user: "landfall" }],
    currentContext: "landfall",
  });
  return kc;
}

/** --kubeconfig FILE, else $KUBECONFIG / ~/.kube/config / the in-cluster service account (client-node's order). */
export function loadKubeConfig(file: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster()) throw new Error(`no Kubernetes cluster configured${file ? ` in ${file}` : ""}: pass --kubeconfig FILE, set KUBECONFIG, or run in a pod with a service account`);
  return kc;
}
