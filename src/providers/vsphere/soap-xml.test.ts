import assert from "node:assert/strict";
import { test } from "node:test";
import { VsphereFault } from "./errors.ts";
import { asArray, moRef, moRefOf, num, parseSoapResponse, soapRequest, text, typed, xsiType } from "./soap-xml.ts";

const envelope = (body: string) =>
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
  `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;

test("soapRequest writes _this, fields in order, morefs, xsi:type and arrays, escaped", () => {
  const xml = soapRequest("RetrievePropertiesEx", moRef("PropertyCollector", "propertyCollector"), {
    specSet: {
      propSet: { type: "VirtualMachine", pathSet: ["name", "config.uuid"] },
      objectSet: { obj: moRef("ContainerView", "session[1]"), selectSet: typed("TraversalSpec", { path: "view" }) },
    },
    options: { maxObjects: 5 },
    note: "a<b&c",
    skipped: undefined,
  });
  assert.ok(xml.includes('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">propertyCollector</_this><specSet>'));
  assert.ok(xml.includes("<pathSet>name</pathSet><pathSet>config.uuid</pathSet>"));
  assert.ok(xml.includes('<obj type="ContainerView">session[1]</obj>'));
  assert.ok(xml.includes('<selectSet xsi:type="TraversalSpec"><path>view</path></selectSet>'));
  assert.ok(xml.indexOf("<specSet>") < xml.indexOf("<options>"), "WSDL order kept");
  assert.ok(xml.includes("<note>a&#60;b&#38;c</note>"));
  assert.ok(!xml.includes("skipped"));
});

test("parseSoapResponse returns returnval with values kept as strings", () => {
  const r = parseSoapResponse(
    "RetrieveServiceContent",
    envelope(
      '<RetrieveServiceContentResponse xmlns="urn:vim25"><returnval><rootFolder type="Folder">group-d1</rootFolder>' +
        "<about><apiVersion>6.5</apiVersion><instanceUuid>0001</instanceUuid></about></returnval></RetrieveServiceContentResponse>",
    ),
  );
  assert.deepEqual(moRefOf(r.rootFolder), { type: "Folder", value: "group-d1" });
  assert.equal(text(r.about.instanceUuid), "0001", "not coerced to the number 1");
  assert.equal(num(r.about.apiVersion), 6.5);
});

test("a SOAP fault becomes a VsphereFault with the fault type and a provider code", () => {
  const xml = envelope(
    "<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>Login failure</faultstring>" +
      '<detail><InvalidLoginFault xmlns="urn:vim25" xsi:type="InvalidLogin"></InvalidLoginFault></detail></soapenv:Fault>',
  );
  assert.throws(
    () => parseSoapResponse("Login", xml),
    (err: VsphereFault) => err instanceof VsphereFault && err.faultType === "InvalidLogin" && err.code === "InvalidCredentials",
  );
  const notFound = envelope(
    "<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>has already been deleted</faultstring>" +
      '<detail><ManagedObjectNotFoundFault xmlns="urn:vim25" xsi:type="ManagedObjectNotFound"><obj type="VirtualMachine">vm-9</obj></ManagedObjectNotFoundFault></detail></soapenv:Fault>',
  );
  assert.throws(() => parseSoapResponse("RetrievePropertiesEx", notFound), /ManagedObjectNotFound: has already been deleted/);
});

test("a non-SOAP body is reported with its beginning", () => {
  assert.throws(() => parseSoapResponse("Login", "<html>proxy error</html>"), /not a SOAP envelope: <html>proxy error/);
});

test("accessors: text of attributed nodes, xsi types, arrays", () => {
  const node = { "#text": "poweredOn", "@_type": "VirtualMachinePowerState" };
  assert.equal(text(node), "poweredOn");
  assert.equal(xsiType(node), "VirtualMachinePowerState");
  assert.deepEqual(asArray(undefined), []);
  assert.deepEqual(asArray("x"), ["x"]);
  assert.deepEqual(asArray([1, 2]), [1, 2]);
});
