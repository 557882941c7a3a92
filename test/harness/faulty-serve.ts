// TEST-ONLY entry point: `node test/harness/faulty-serve.ts --data-dir DIR --listen HOST:PORT` starts the same
// embedded server as `landfall serve`, wired from landfall's production parts wrapped by faulty-wiring.ts with
// the one fault described in the JSON file named by $LANDFALL_TEST_FAULTS (written by the test).
import { parseArgs } from "node:util";
import { startEmbedded } from "../../src/compose/embedded.ts";
import { landfallWiringWith, productionParts } from "../../src/compose/landfall.ts";
import { faultyParts, readFaultConfig } from "./faulty-wiring.ts";

const { values } = parseArgs({ options: { "data-dir": { type: "string" }, listen: { type: "string", default: "127.0.0.1:0" } } });
const configPath = process.env.LANDFALL_TEST_FAULTS;
if (!values["data-dir"] || !configPath) {
  process.stderr.write("usage: LANDFALL_TEST_FAULTS=FILE node faulty-serve.ts --data-dir DIR [--listen HOST:PORT]\n");
  process.exit(2);
}
const fault = await readFaultConfig(configPath);
const embedded = await startEmbedded({ dataDir: values["data-dir"], listen: values.listen as string, wire: landfallWiringWith(faultyParts(productionParts, fault)) });
process.stdout.write(`landfall serving at ${embedded.url} (test composition, fault ${fault.at} on ${fault.vm})\n`);
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    embedded.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
