// A minimal HTTPS file server with Range support, run as its own process (as vcsim is) so its TLS work does
// not share the measuring process's thread. Usage: node bench/serve-disk.ts FILE CERT KEY → prints the URL.
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { createServer } from "node:https";

const [file, certPath, keyPath] = process.argv.slice(2);
const { size } = await stat(file);
const server = createServer({ cert: await readFile(certPath), key: await readFile(keyPath) }, (req, res) => {
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
  if (!range) {
    res.writeHead(200, { "content-length": size, "accept-ranges": "bytes" });
    createReadStream(file, { highWaterMark: 1024 * 1024 }).pipe(res);
    return;
  }
  const start = Number(range[1]);
  const end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
  if (start > end) {
    res.writeHead(416, { "content-range": `bytes */${size}` }).end();
    return;
  }
  res.writeHead(206, { "content-length": end - start + 1, "content-range": `bytes ${start}-${end}/${size}`, "accept-ranges": "bytes" });
  createReadStream(file, { start, end, highWaterMark: 1024 * 1024 }).pipe(res);
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (address && typeof address === "object") process.stdout.write(`https://127.0.0.1:${address.port}/disk.raw\n`);
});
