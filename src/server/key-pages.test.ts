import assert from "node:assert/strict";
import { test } from "node:test";
import { isApiError } from "../api/errors.ts";
import { continueToken, MAX_PAGE, pageAfterKey, parseLimit } from "./key-pages.ts";

const key = (s: string) => s;
const letters = ["a", "b", "c", "d", "e"];

test("pages follow one another by key and the last has no continue", () => {
  const first = pageAfterKey(letters, key, 2, undefined);
  assert.deepEqual(first.items, ["a", "b"]);
  assert.equal(first.remainingItemCount, 3);
  const second = pageAfterKey(letters, key, 2, first.continue);
  assert.deepEqual(second.items, ["c", "d"]);
  const last = pageAfterKey(letters, key, 2, second.continue);
  assert.deepEqual(last, { items: ["e"] });
});

test("a page after a key that was removed or added in between neither skips nor repeats", () => {
  const first = pageAfterKey(letters, key, 2, undefined);
  assert.deepEqual(pageAfterKey(["a", "c", "d"], key, 2, first.continue).items, ["c", "d"], "b removed");
  assert.deepEqual(pageAfterKey(["a", "b", "bb", "c"], key, 2, first.continue).items, ["bb", "c"], "bb added after b");
  assert.deepEqual(pageAfterKey(letters, key, 2, continueToken("bz")).items, ["c", "d"], "a token between keys");
});

test("no limit answers everything after the token", () => {
  assert.deepEqual(pageAfterKey(letters, key, undefined, continueToken("c")), { items: ["d", "e"] });
});

test("a token the list did not give out and a bad limit are 400s naming the parameter", () => {
  assert.throws(() => pageAfterKey(letters, key, 2, "not-a-token"), (e) => isApiError(e, "BadRequest") && /continue "not-a-token"/.test(e.message));
  assert.throws(() => parseLimit("0"), (e) => isApiError(e, "BadRequest") && /limit "0"/.test(e.message));
  assert.throws(() => parseLimit(String(MAX_PAGE + 1)), (e) => isApiError(e, "BadRequest"));
  assert.throws(() => parseLimit("2.5"), (e) => isApiError(e, "BadRequest"));
  assert.equal(parseLimit(undefined), undefined);
  assert.equal(parseLimit("50"), 50);
});
