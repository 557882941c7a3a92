// The HTTPS endpoint CDI imports disks from: landfall publishes a verified image under an unguessable path
// together with its sha256, which goes into the DataVolume (`source.http.checksum`) so CDI checks the bytes it
// received. Read-only; only published files are served; a published file is served as it is on disk.
import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { basename } from "node:path";

export interface ImageServerOptions {
  host: string;
  port: number;
  /** PEM certificate and key; the CA that signed the certificate goes into the DataVolume's certConfigMap. */
  cert: string | Buffer;
  key: string | Buffer;
  /** The URL clusters reach this server at (default: https://HOST:PORT as bound). */
  publicURL?: string;
  /** PEM of the CA that signed cert, which importers must trust (written to the DataVolumes' certConfigMap). */
  ca?: string;
}

export interface PublishedImage {
  url: string;
  /** "sha256:<hex>", as CDI's source.http.checksum takes it. */
  checksum: string;
}

export interface ImageServer {
  url: string;
  /** PEM of the CA importers must trust, when known. */
  ca?: string;
  publish(path: string, sha256Hex: string): PublishedImage;
  unpublish(url: string): void;
  close(): Promise<void>;
}

export async function startImageServer(opts: ImageServerOptions): Promise<ImageServer> {
  const files = new Map<string, string>(); // URL path → file
  const server: Server = createServer({ cert: opts.cert, key: opts.key }, (req, res) => {
    const file = files.get((req.url ?? "").split("?")[0]);
    if (!file || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404).end();
      return;
    }
    stat(file).then(
      (st) => {
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(st.size) });
        if (req.method === "HEAD") {
          res.end();
          return;
        }
        const stream = createReadStream(file);
        stream.on("error", () => res.destroy());
        stream.pipe(res);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const base = (opts.publicURL ?? `https://${opts.host.includes(":") ? `[${opts.host}]` : opts.host}:${(server.address() as AddressInfo).port}`).replace(/\/+$/, "");
  return {
    url: base,
    ...(opts.ca ? { ca: opts.ca } : {}),
    publish(path, sha256Hex) {
      if (!/^[0-9a-f]{64}$/.test(sha256Hex)) throw new Error(`sha256 ${JSON.stringify(sha256Hex)} of ${path} must be 64 lower-case hex digits`);
      const urlPath = `/images/${randomBytes(16).toString("hex")}/${encodeURIComponent(basename(path))}`;
      files.set(urlPath, path);
      return { url: `${base}${urlPath}`, checksum: `sha256:${sha256Hex}` };
    },
    unpublish(url) {
      files.delete(new URL(url).pathname);
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
