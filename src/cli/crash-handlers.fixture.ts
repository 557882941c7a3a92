// Child process for crash-handlers.test.ts: installs the crash handlers as `serve` does, then fails the way
// argv[2] says. Not a test by itself.
import { createLogger } from "../runtime/logger.ts";
import { installCrashHandlers } from "./crash-handlers.ts";

installCrashHandlers(createLogger({ format: "json" }));
const keepAlive = setInterval(() => {}, 1000);
if (process.argv[2] === "rejection") {
  void Promise.reject(new Error("status write failed: disk full"));
} else {
  setTimeout(() => {
    throw new Error("socket exploded");
  }, 10);
}
setTimeout(() => {
  clearInterval(keepAlive);
  process.stdout.write("still running\n");
}, 3000);
