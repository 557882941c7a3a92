// How landfall trusts a vSphere endpoint's certificate: CA verification (default), a pinned thumbprint for
// self-signed servers, or — only when asked — no verification. Every connection's certificate is checked
// as the socket connects, so no request is ever sent to an untrusted server.
import { connect as connectTcp, isIP, type Socket } from "node:net";
import { connect as connectTls, type TLSSocket } from "node:tls";
import { Agent, buildConnector } from "undici";
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
  agent: Agent;
  /** SHA-256 fingerprint of the certificate the server last presented. */
  lastThumbprint(): string | undefined;
  /** Connections to `origin` for the data path's range client (range-client.ts), judged like the agent's. */
  connectOnread(origin: URL): ConnectWithOnread;
}

export function createTrustedDispatcher(options: TlsOptions, timeouts: { connectMs: number }): TrustedDispatcher {
  if (options.thumbprint) parseThumbprint(options.thumbprint); // fail early on a malformed pin
  let seen: string | undefined;
  // Verification is done in judgePeer (so a pinned self-signed server is accepted and a failure can name
  // the thumbprint), hence the connector itself never rejects.
  const base = buildConnector({
    rejectUnauthorized: false,
    ...(options.caBundle ? { ca: options.caBundle } : {}),
    timeout: timeouts.connectMs,
    // A resumed TLS session carries no peer certificate to check, so every connection does a full handshake.
    maxCachedSessions: 0,
  });
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
  const agent = new Agent({
    connect: (opts, callback) => {
      base(opts, (err, socket) => {
        if (err) return callback(err, null);
        if (opts.protocol !== "https:") return callback(null, socket);
        const problem = judgeSocket(socket as TLSSocket);
        if (problem) return callback(problem, null);
        callback(null, socket);
      });
    },
    keepAliveTimeout: 30_000,
  });
  const connectOnread = (origin: URL): ConnectWithOnread => (onread) =>
    new Promise<Socket>((resolve, reject) => {
      const port = Number(origin.port || (origin.protocol === "https:" ? 443 : 80));
      if (origin.protocol !== "https:") {
        const socket = connectTcp({ host: origin.hostname, port, onread, timeout: timeouts.connectMs });
        socket.once("connect", () => resolve(socket.setTimeout(0))).once("error", reject).once("timeout", () => socket.destroy(new Error(`connecting to ${origin.host} timed out`)));
        return;
      }
      const socket = connectTls({
        host: origin.hostname,
        port,
        ...(isIP(origin.hostname) ? {} : { servername: origin.hostname }),
        rejectUnauthorized: false,
        ...(options.caBundle ? { ca: options.caBundle } : {}),
        timeout: timeouts.connectMs,
        onread,
      } as never);
      socket.once("error", reject).once("timeout", () => socket.destroy(new Error(`connecting to ${origin.host} timed out`)));
      socket.once("secureConnect", () => {
        const problem = judgeSocket(socket);
        if (problem) reject(problem);
        else resolve(socket.setTimeout(0));
      });
    });
  return { agent, lastThumbprint: () => seen, connectOnread };
}
