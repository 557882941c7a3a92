// What snapshots a VM of the simulator has, read over vSphere SOAP independently of landfall's provider logic
// (only its SOAP client and property reader), so a test can prove a migration left none behind.
import { retrieveOne } from "../../../src/providers/vsphere/property-collector.ts";
import { VsphereClient } from "../../../src/providers/vsphere/soap-client.ts";
import { asArray, moRef, text, type XmlNode } from "../../../src/providers/vsphere/soap-xml.ts";
import type { Vcsim } from "./harness.ts";

export async function snapshotNames(vc: Vcsim, vmID: string): Promise<string[]> {
  const client = new VsphereClient({ endpoint: vc.url, tls: { insecureSkipVerify: true } });
  try {
    await client.login(vc.username, vc.password);
    const props = await retrieveOne(client, moRef("VirtualMachine", vmID), ["snapshot"]);
    const names: string[] = [];
    const walk = (trees: XmlNode[]) => {
      for (const t of trees) {
        names.push(text(t.name));
        walk(asArray(t.childSnapshotList));
      }
    };
    walk(asArray(props.snapshot?.rootSnapshotList));
    return names;
  } finally {
    await client.close();
  }
}
