import assert from "node:assert/strict";
import { test } from "node:test";
import { isApiError } from "../api/errors.ts";
import { mergedPage, type StorePage } from "./merged-pages.ts";

/** Sorted lists served as a store would: pages of `limit` after an opaque token (here the index, as text). */
function lists(data: string[][]) {
  const reads: Array<{ list: number; from: string; limit: number }> = [];
  const read = async (list: number, from: string, limit: number): Promise<StorePage<string>> => {
    reads.push({ list, from, limit });
    const start = from ? Number(from) : 0;
    const items = data[list].slice(start, start + limit);
    const end = start + items.length;
    return { items, resourceVersion: String(10 + list), ...(end < data[list].length ? { continue: String(end) } : {}) };
  };
  return { read, reads };
}
const keyOf = (s: string) => s;
const all = async () => true;

async function every(data: string[][], limit: number, keep: (s: string) => Promise<boolean> = all, chunk = 3) {
  const { read } = lists(data);
  const pages: string[][] = [];
  let token: string | undefined;
  do {
    const page = await mergedPage(data.length, read, keyOf, keep, limit, token, chunk);
    pages.push(page.items);
    token = page.continue;
  } while (token);
  return pages;
}

test("pages merge the lists in key order, each key once, and add up to every object", async () => {
  const data = [
    ["a", "c", "d", "f", "h", "k"],
    ["b", "c", "e", "g", "k", "m", "n"],
  ];
  const pages = await every(data, 4);
  assert.deepEqual(pages, [
    ["a", "b", "c", "d"],
    ["e", "f", "g", "h"],
    ["k", "m", "n"],
  ]);
  for (const limit of [1, 2, 3, 5, 100]) {
    for (const chunk of [1, 2, 7]) {
      const { read } = lists(data);
      let token: string | undefined;
      const got: string[] = [];
      do {
        const page = await mergedPage(2, read, keyOf, all, limit, token, chunk);
        assert.ok(page.items.length <= limit);
        got.push(...page.items);
        token = page.continue;
      } while (token);
      assert.deepEqual(got, ["a", "b", "c", "d", "e", "f", "g", "h", "k", "m", "n"], `limit ${limit}, chunk ${chunk}`);
    }
  }
});

test("a page reads only as far as it needs, and reports the oldest revision read", async () => {
  const big = Array.from({ length: 1000 }, (_, i) => `k${String(i).padStart(4, "0")}`);
  const { read, reads } = lists([big, big.map((k) => `${k}x`)]);
  const page = await mergedPage(2, read, keyOf, all, 10, undefined, 11);
  assert.equal(page.items.length, 10);
  assert.equal(reads.length, 2, "one store page of each list");
  assert.equal(page.resourceVersion, "10");
});

test("objects the filter drops are consumed, not returned; an empty list or a filter dropping all ends at once", async () => {
  const pages = await every([["a", "b", "c", "d", "e"], ["f"]], 2, async (s) => s !== "b" && s !== "c");
  assert.deepEqual(pages.flat(), ["a", "d", "e", "f"]);
  assert.deepEqual(await every([[], []], 5), [[]]);
  assert.deepEqual(await every([["a", "b"]], 5, async () => false), [[]]);
});

test("objects added before the token's key are not listed again; ones after it are", async () => {
  const data = [["a", "c", "e", "g"]];
  const { read } = lists(data);
  const first = await mergedPage(1, read, keyOf, all, 2, undefined, 10);
  assert.deepEqual(first.items, ["a", "c"]);
  data[0] = ["a", "b", "c", "d", "e", "g"];
  const second = await mergedPage(1, read, keyOf, all, 10, first.continue, 10);
  assert.deepEqual(second.items, ["d", "e", "g"]);
});

test("a token from another list (or with other filters) is a 400 naming continue", async () => {
  const { read } = lists([["a", "b", "c"]]);
  const first = await mergedPage(1, read, keyOf, all, 1, undefined);
  await assert.rejects(mergedPage(2, read, keyOf, all, 1, first.continue), (e) => isApiError(e, "BadRequest") && /continue "/.test(e.message));
  await assert.rejects(mergedPage(1, read, keyOf, all, 1, "garbage"), (e) => isApiError(e, "BadRequest"));
});
