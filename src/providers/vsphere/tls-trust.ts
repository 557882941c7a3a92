// How landfall trusts a vSphere endpoint's certificate: CA verification (default), a pinned thumbprint for
// self-signed servers, or — only when asked — no verification. Every connection's certificate is checked
// as the socket connects, so no request is ever sent to an untrusted server.
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { connect as connectTcp, isIP, type OnReadOpts, type Socket } from "node:net";
import { connect as connectTls, type TLSSocket } from "node:tls";
import { SourceProviderError } from "./errors.ts";
import type { ConnectWithOnread } from "./range-client.ts";

export interface TlsOptions {
  /** Skip certificate verification entirely (reported as the InsecureTLS warning). */
  insecureSkipVerify?: boolean;
  /** SHA-256 (or SHA-1) fingerprint of the server certificate, colon-separated hex, any case. */
  thumbprint?: string;
  /** PEM CA bundle to verify against instead of the system roots. */
  caBundle?: string;
}

export interface Thumbprint {
  algorithm: "sha256" | "sha1";
  /** Upper-case, colon-separated: the form Node's `fingerprint256` uses. */
  value: string;
}

/** Parses a user-written thumbprint; throws naming the value's problem. */
export function parseThumbprint(input: string): Thumbprint {
  const hex = input.trim().replace(/[:\s-]/g, "").toUpperCase();
  if (!/^[0-9A-F]*$/.test(hex)) {
    throw new SourceProviderError("TLSVerificationFailed", `tls.thumbprint "${input}" is not hexadecimal; write it as AA:BB:…`);
  }
  const algorithm = hex.length === 64 ? "sha256" : hex.length === 40 ? "sha1" : undefined;
  if (!algorithm) {
    throw new SourceProviderError(
      "TLSVerificationFailed",
      `tls.thumbprint "${input}" has ${hex.length / 2} bytes; expected a SHA-256 (32 bytes) or SHA-1 (20 bytes) fingerprint`,
    );
  }
  return { algorithm, value: hex.match(/../g)!.join(":") };
}

/** What the peer presented, decided against the trust options. Pure: unit-tested without sockets. */
export function judgePeer(
  options: TlsOptions,
  peer: { fingerprint256: string; fingerprint: string; authorized: boolean; authorizationError?: string },
): SourceProviderError | undefined {
  if (options.thumbprint) {
    const pin = parseThumbprint(options.thumbprint);
    const actual = pin.algorithm === "sha256" ? peer.fingerprint256 : peer.fingerprint;
    if (actual.toUpperCase() !== pin.value) {
      return new SourceProviderError(
        "ThumbprintMismatch",
        `server certificate ${pin.algorithm.toUpperCase()} thumbprint is ${actual.toUpperCase()}, expected ${pin.value} (tls.thumbprint); ` +
          "check that you reach the right server, then update tls.thumbprint",
      );
    }
    return undefined;
  }
  if (options.insecureSkipVerify || peer.authorized) return undefined;
  return new SourceProviderError(
    "TLSVerificationFailed",
    `server certificate is not trusted (${peer.authorizationError ?? "unknown reason"}); its SHA-256 thumbprint is ` +
      `${peer.fingerprint256}: set tls.thumbprint to pin it, or tls.caBundle to the issuing CA`,
  );
}

export interface TrustedDispatcher {
  /**
   * The keep-alive agent for requests to `url` (node:http/https, http-request.ts): each https connection is judged
   * (judgePeer) before the agent has it, so no byte of a request goes to an untrusted server.
   */
  agentFor(url: URL): HttpAgent;
  /** SHA-256 fingerprint of the certificate the server last presented. */
  lastThumbprint(): string | undefined;
  /** Connections to `origin` for the data path's range client (range-client.ts), judged like the agents'. */
  connectOnread(origin: URL): ConnectWithOnread;
  /** Closes the idle connections; a request still running keeps its own until it ends. */
  close(): void;
}

/** How long an idle keep-alive connection is kept (the servers' own limits are longer). */
const KEEP_IDLE_MS = 30_000;

export function createTrustedDispatcher(options: TlsOptions, timeouts: { connectMs: number }): TrustedDispatcher {
  if (options.thumbprint) parseThumbprint(options.thumbprint); // fail early on a malformed pin
  let seen: string | undefined;
  /** The peer of a connected socket judged (judgePeer); a socket that fails is destroyed before any request. */
  const judgeSocket = (socket: TLSSocket): SourceProviderError | undefined => {
    const cert = socket.getPeerCertificate();
    seen = cert.fingerprint256;
    const problem = judgePeer(options, {
      fingerprint256: cert.fingerprint256 ?? "",
      fingerprint: cert.fingerprint ?? "",
      authorized: socket.authorized,
      authorizationError: socket.authorizationError?.toString(),
    });
    if (problem) socket.destroy();
    return problem;
  };
  /**
   * A connection to host:port, resolved once it may carry a request: TLS judged by judgePeer (verification is done
   * there, so a pinned self-signed server is accepted and a failure can name the thumbprint; hence
   * rejectUnauthorized: false). No TLS session is resumed: a resumed session carries no certificate to check.
   */
  const connect = (host: string, port: number, tls: boolean, onread?: OnReadOpts): Promise<Socket> =>
    new Promise<Socket>((resolve, reject) => {
      const timedOut = (socket: Socket) => () => socket.destroy(new Error(`connecting to ${host}:${port} timed out`));
      if (!tls) {
        const socket = connectTcp({ host, port, timeout: timeouts.connectMs, ...(onread ? { onread } : {}) });
        socket.once("error", reject).once("timeout", timedOut(socket));
        socket.once("connect", () => resolve(socket.setTimeout(0)));
        return;
      }
      const socket = connectTls({
        host,
        port,
        ...(isIP(host) ? {} : { servername: host }),
        rejectUnauthorized: false,
        ...(options.caBundle ? { ca: options.caBundle } : {}),
        timeout: timeouts.connectMs,
        ...(onread ? { onread } : {}),
      } as never);
      socket.once("error", reject).once("timeout", timedOut(socket));
      socket.once("secureConnect", () => {
        const problem = judgeSocket(socket);
        if (problem) reject(problem);
        else resolve(socket.setTimeout(0));
      });
    });
  const portOf = (url: URL) => Number(url.port || (url.protocol === "https:" ? 443 : 80));
  /** A URL's or request's host as a socket takes it: an IPv6 literal without its brackets. */
  const bare = (host: string) => host.replace(/^\[(.*)\]$/, "$1");
  const https = new HttpsAgent({ keepAlive: true, timeout: KEEP_IDLE_MS });
  // The agent hands a request its socket only when the callback has it: after the judgement.
  https.createConnection = ((request: { host?: string | null; hostname?: string | null; port?: number | string | null }, callback: (error: Error | null, socket?: Socket) => void) => {
    const host = request.hostname ?? request.host ?? "localhost";
    connect(bare(host), Number(request.port ?? 443), true).then(
      (socket) => callback(null, socket),
      (error: Error) => callback(error),
    );
    return undefined;
  }) as never;
  const http = new HttpAgent({ keepAlive: true, timeout: KEEP_IDLE_MS });
  // Closed, an agent keeps no connection: idle ones end now, busy ones when their request has.
  let closed = false;
  for (const agent of [https, http]) {
    const keep = agent.keepSocketAlive.bind(agent);
    agent.keepSocketAlive = (socket) => !closed && keep(socket);
  }
  return {
    agentFor: (url) => (url.protocol === "https:" ? https : http),
    lastThumbprint: () => seen,
    connectOnread: (origin) => (onread) => connect(bare(origin.hostname), portOf(origin), origin.protocol === "https:", onread),
    close: () => {
      closed = true;
      for (const agent of [https, http]) for (const idle of Object.values(agent.freeSockets)) for (const socket of idle ?? []) socket.destroy();
    },
  };
}
