// Dashboard sessions: an opaque ID in an HttpOnly, SameSite=Strict cookie stands for a token ID for a while.
// Kept in memory: a restart logs everyone out, and a revoked or expired token ends its sessions at once
// (the token is re-checked on every request).
import { randomBytes } from "node:crypto";

export const SESSION_COOKIE = "landfall_session";
/** Unsafe methods with a session cookie must carry this header: a cross-site form or image cannot send it. */
export const CSRF_HEADER = "x-landfall-csrf";
export const SESSION_TTL_SECONDS = 8 * 3600;

export interface Session {
  tokenId: string;
  expiresAt: number;
}

export interface Sessions {
  create(tokenId: string): { id: string; maxAgeSeconds: number };
  /** The token ID of a live session, or undefined (unknown, ended or expired). */
  tokenIdOf(sessionId: string): string | undefined;
  end(sessionId: string): void;
}

export function memorySessions(opts: { now?: () => number; ttlSeconds?: number } = {}): Sessions {
  const now = opts.now ?? Date.now;
  const ttl = opts.ttlSeconds ?? SESSION_TTL_SECONDS;
  const live = new Map<string, Session>();
  const sweep = () => {
    for (const [id, s] of live) if (s.expiresAt <= now()) live.delete(id);
  };
  return {
    create(tokenId) {
      sweep();
      const id = randomBytes(32).toString("base64url");
      live.set(id, { tokenId, expiresAt: now() + ttl * 1000 });
      return { id, maxAgeSeconds: ttl };
    },
    tokenIdOf(sessionId) {
      const s = live.get(sessionId);
      if (!s) return undefined;
      if (s.expiresAt <= now()) {
        live.delete(sessionId);
        return undefined;
      }
      return s.tokenId;
    },
    end: (sessionId) => {
      live.delete(sessionId);
    },
  };
}

/** The value of one cookie from a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Set-Cookie for a session (maxAge 0 clears it). Secure when served over TLS. */
export function sessionCookie(id: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? "; Secure" : ""}`;
}
