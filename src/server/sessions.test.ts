import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cookieValue, memorySessions, sessionCookie } from "./sessions.ts";

describe("sessions", () => {
  it("maps a session to its token until it ends or expires", () => {
    let now = 0;
    const sessions = memorySessions({ now: () => now, ttlSeconds: 60 });
    const a = sessions.create("tok-a");
    const b = sessions.create("tok-b");
    assert.notEqual(a.id, b.id);
    assert.ok(a.id.length >= 40, "session IDs carry 256 random bits");
    assert.equal(sessions.tokenIdOf(a.id), "tok-a");
    sessions.end(a.id);
    assert.equal(sessions.tokenIdOf(a.id), undefined);
    now = 59_999;
    assert.equal(sessions.tokenIdOf(b.id), "tok-b");
    now = 60_000;
    assert.equal(sessions.tokenIdOf(b.id), undefined);
    assert.equal(sessions.tokenIdOf("forged"), undefined);
  });

  it("reads one cookie and writes HttpOnly, SameSite=Strict cookies", () => {
    assert.equal(cookieValue("a=1; landfall_session=xyz; b=2", "landfall_session"), "xyz");
    assert.equal(cookieValue("xlandfall_session=1", "landfall_session"), undefined);
    assert.equal(cookieValue(undefined, "landfall_session"), undefined);
    assert.equal(sessionCookie("id", 60, false), "landfall_session=id; Path=/; HttpOnly; SameSite=Strict; Max-Age=60");
    assert.match(sessionCookie("id", 60, true), /; Secure$/);
  });
});
