// Reading managed object properties: RetrievePropertiesEx / ContinueRetrievePropertiesEx, over a
// ContainerView for "every object of a type under a folder".
import { isFault, notFound } from "./errors.ts";
import type { VsphereClient } from "./soap-client.ts";
import { asArray, type MoRef, moRefOf, text, typed, type XmlNode } from "./soap-xml.ts";

export interface ObjectProperties {
  obj: MoRef;
  /** Property path → value node, e.g. "config.hardware.device" → the device array node. */
  props: Record<string, XmlNode>;
}

function toObjectProperties(content: XmlNode): ObjectProperties {
  const props: Record<string, XmlNode> = {};
  for (const p of asArray(content.propSet)) props[text(p.name)] = p.val;
  return { obj: moRefOf(content.obj), props };
}

/** Runs one property filter spec to completion, following the continuation token. */
async function retrieveAll(client: VsphereClient, specSet: XmlNode, signal?: AbortSignal): Promise<ObjectProperties[]> {
  const sc = await client.serviceContent(signal);
  const out: ObjectProperties[] = [];
  let result = await client.call("RetrievePropertiesEx", sc.propertyCollector, { specSet, options: { maxObjects: 500 } }, signal);
  for (;;) {
    if (!result) return out;
    for (const o of asArray(result.objects)) {
      for (const missing of asArray(o.missingSet)) {
        const faultType = String(missing.fault?.fault?.["@_type"] ?? "");
        if (faultType === "ManagedObjectNotFound") throw notFound(`${text(o.obj)} not found`);
      }
      out.push(toObjectProperties(o));
    }
    const token = text(result.token);
    if (!token) return out;
    result = await client.call("ContinueRetrievePropertiesEx", sc.propertyCollector, { token }, signal);
  }
}

/** Properties of every `type` object under `root` (recursively), through a ContainerView. */
export async function retrieveContainer(
  client: VsphereClient,
  request: { root?: MoRef; type: string; pathSet: string[] },
  signal?: AbortSignal,
): Promise<ObjectProperties[]> {
  const sc = await client.serviceContent(signal);
  const view = moRefOf(
    await client.call(
      "CreateContainerView",
      sc.viewManager,
      { container: request.root ?? sc.rootFolder, type: [request.type], recursive: true },
      signal,
    ),
  );
  try {
    return await retrieveAll(
      client,
      {
        propSet: { type: request.type, all: false, pathSet: request.pathSet },
        objectSet: {
          obj: view,
          skip: true,
          selectSet: typed("TraversalSpec", { name: "traverseView", type: "ContainerView", path: "view", skip: false }),
        },
      },
      signal,
    );
  } finally {
    // Views live as long as the session; leaking one per listing would grow the server's memory.
    await client.call("DestroyView", view).catch(() => undefined);
  }
}

/** Properties of one object; throws an error with code NotFound when the object does not exist. */
export async function retrieveOne(
  client: VsphereClient,
  obj: MoRef,
  pathSet: string[],
  signal?: AbortSignal,
): Promise<Record<string, XmlNode>> {
  let found: ObjectProperties[];
  try {
    found = await retrieveAll(client, { propSet: { type: obj.type, all: false, pathSet }, objectSet: { obj, skip: false } }, signal);
  } catch (err) {
    if (isFault(err, "ManagedObjectNotFound")) throw notFound(`${obj.type} "${obj.value}" not found`);
    throw err;
  }
  if (found.length === 0) throw notFound(`${obj.type} "${obj.value}" not found`);
  return found[0].props;
}
