import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { judgeRangeReply, parseContentRange } from "./range-reply.ts";

const exact = { offset: 1000, length: 100, mode: "exact" } as const;
const head = { offset: 0, length: 65536, mode: "head" } as const;

describe("judgeRangeReply", () => {
  test("Content-Range parses, with or without a known range or size", () => {
    assert.deepEqual(parseContentRange("bytes 10-19/100"), { start: 10, end: 19, total: 100 });
    assert.deepEqual(parseContentRange("bytes */100"), { start: Number.NaN, end: Number.NaN, total: 100 });
    assert.deepEqual(parseContentRange("bytes 0-9/*"), { start: 0, end: 9, total: Number.NaN });
    assert.equal(parseContentRange("items 0-9/10"), undefined);
    assert.equal(parseContentRange(undefined), undefined);
  });

  test("a 206 for exactly the bytes asked for, in a file that holds them, is used", () => {
    assert.deepEqual(judgeRangeReply(exact, { status: 206, contentRange: "bytes 1000-1099/5000" }), { bodyBytes: 100 });
    assert.deepEqual(judgeRangeReply(exact, { status: 206, contentRange: "bytes 1000-1099/1100" }), { bodyBytes: 100 });
  });

  test("a short 206, another range, an unknown or too small size are refused, saying what came back", () => {
    assert.deepEqual(judgeRangeReply(exact, { status: 206, contentRange: "bytes 1000-1049/1050" }), {
      problem: 'HTTP 206 with Content-Range "bytes 1000-1049/1050", not bytes 1000-1099',
    });
    assert.match((judgeRangeReply(exact, { status: 206, contentRange: "bytes 0-99/5000" }) as { problem: string }).problem, /not bytes 1000-1099/);
    assert.match((judgeRangeReply(exact, { status: 206, contentRange: "bytes 1000-1099/*" }) as { problem: string }).problem, /size is not stated/);
    assert.match((judgeRangeReply(exact, { status: 206 }) as { problem: string }).problem, /HTTP 206 with no Content-Range/);
    assert.match(
      (judgeRangeReply(exact, { status: 206, contentRange: "bytes 1000-1099/1050" }) as { problem: string }).problem,
      /the file is 1050 bytes, shorter than the 1100 the disk's extent needs/,
    );
  });

  test("a 416 is an error, except for the head of an empty file", () => {
    assert.match((judgeRangeReply(exact, { status: 416, contentRange: "bytes */500" }) as { problem: string }).problem, /HTTP 416 .*"bytes \*\/500".*ends before byte 1099/);
    assert.deepEqual(judgeRangeReply(head, { status: 416, contentRange: "bytes */0" }), { bodyBytes: 0 });
    assert.deepEqual(judgeRangeReply(head, { status: 416 }), { bodyBytes: 0 });
    assert.ok("problem" in judgeRangeReply(head, { status: 416, contentRange: "bytes */700" }));
  });

  test("the head of a short file comes back short, but only as far as the file ends", () => {
    assert.deepEqual(judgeRangeReply(head, { status: 206, contentRange: "bytes 0-499/500" }), { bodyBytes: 500 });
    assert.deepEqual(judgeRangeReply(head, { status: 206, contentRange: "bytes 0-65535/9000000" }), { bodyBytes: 65536 });
    assert.ok("problem" in judgeRangeReply(head, { status: 206, contentRange: "bytes 0-99/500" }));
  });

  test("a 200 (Range ignored) is used from offset 0 only, and only when the file is long enough", () => {
    assert.deepEqual(judgeRangeReply({ offset: 0, length: 100, mode: "exact" }, { status: 200, contentLength: 5000 }), { bodyBytes: 100 });
    assert.ok("problem" in judgeRangeReply({ offset: 0, length: 100, mode: "exact" }, { status: 200, contentLength: 50 }));
    assert.ok("problem" in judgeRangeReply({ offset: 0, length: 100, mode: "exact" }, { status: 200 }));
    assert.match((judgeRangeReply(exact, { status: 200, contentLength: 5000 }) as { problem: string }).problem, /ignores Range/);
    assert.deepEqual(judgeRangeReply(head, { status: 200, contentLength: 300 }), { bodyBytes: 300 });
  });

  test("any other status is refused", () => {
    assert.deepEqual(judgeRangeReply(exact, { status: 500 }), { problem: "HTTP 500" });
  });
});
