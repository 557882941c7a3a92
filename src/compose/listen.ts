// Where `serve` listens, and whether that address may speak plain HTTP.

export interface ListenAddress {
  host: string;
  port: number;
}

/** "HOST:PORT", "[::1]:PORT" or ":PORT" (loopback). */
export function parseListen(value: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) throw new Error(`--listen ${JSON.stringify(value)} must be HOST:PORT, e.g. 127.0.0.1:7780 or [::1]:7780`);
  return { host: m[1] ?? (m[2] || "127.0.0.1"), port };
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === "::ffff:127.0.0.1";
}

/** Plain HTTP off loopback exposes tokens on the network: it needs TLS or an explicit --insecure-http. */
export function checkTransport(host: string, tls: { cert?: string; key?: string }, insecureHttp: boolean): void {
  if (Boolean(tls.cert) !== Boolean(tls.key)) throw new Error("--tls-cert and --tls-key go together; pass both files or neither");
  if (!isLoopback(host) && !tls.cert && !insecureHttp) {
    throw new Error(`listening on ${host} (not loopback) needs TLS: pass --tls-cert FILE --tls-key FILE, or --insecure-http to accept plain HTTP on the network`);
  }
}

export function urlFor(scheme: "http" | "https", host: string, port: number): string {
  return `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}`;
}
