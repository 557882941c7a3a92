import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDiskChangeInfo } from "./disk-change-info.ts";
import { VsphereFault } from "./errors.ts";
import { asArray, num, parseSoapResponse } from "./soap-xml.ts";

const envelope = (returnval: string) =>
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><QueryChangedDiskAreasResponse xmlns="urn:vim25">' +
  `<returnval>${returnval}</returnval></QueryChangedDiskAreasResponse></soapenv:Body></soapenv:Envelope>`;

/** What the general parser reads from the same reply: the reference the scan must agree with. */
function general(xml: string) {
  const info = parseSoapResponse("QueryChangedDiskAreas", xml);
  return { startOffset: num(info?.startOffset), length: num(info?.length), areas: asArray(info?.changedArea).map((a) => ({ start: num(a.start), length: num(a.length) })) };
}

test("the scan reads what the general parser reads: plain, prefixed, typed, spaced, one, none", () => {
  const replies = [
    envelope("<startOffset>0</startOffset><length>10737418240</length><changedArea><start>0</start><length>65536</length></changedArea><changedArea><start>2097152</start><length>209715</length></changedArea>"),
    envelope('<startOffset>4096</startOffset><length>8192</length><vim25:changedArea xsi:type="DiskChangeExtent"><vim25:start>4096</vim25:start><vim25:length>512</vim25:length></vim25:changedArea>'),
    envelope("\n  <startOffset>0</startOffset>\n  <length>1048576</length>\n  <changedArea>\n    <start> 1024 </start>\n    <length>2048</length>\n  </changedArea>\n"),
    envelope("<startOffset>0</startOffset><length>2199023255552</length>"),
    envelope(`<startOffset>0</startOffset><length>2199023255552</length>${Array.from({ length: 3000 }, (_, i) => `<changedArea><start>${i * 2 ** 31}</start><length>4096</length></changedArea>`).join("")}`),
  ];
  for (const xml of replies) {
    const scanned = parseDiskChangeInfo(xml);
    assert.deepEqual(scanned, general(xml));
  }
  assert.equal(parseDiskChangeInfo(replies[4]!).areas.length, 3000);
  assert.equal(parseDiskChangeInfo(replies[4]!).areas[2999]!.start, 2999 * 2 ** 31, "offsets past 4 GiB are exact");
});

test("an area of another shape is refused, never skipped; a fault is the fault", () => {
  for (const area of [
    "<changedArea><length>512</length><start>0</start></changedArea>",
    "<changedArea><start>0</start><length>512</length><extra>1</extra></changedArea>",
    "<changedArea><start>-1</start><length>512</length></changedArea>",
    "<changedArea/>",
  ]) {
    assert.throws(() => parseDiskChangeInfo(envelope(`<startOffset>0</startOffset><length>1024</length>${area}`)), /changedArea element of a shape landfall does not read/, area);
  }
  const fault =
    '<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>' +
    '<faultcode>ServerFaultCode</faultcode><faultstring>Error caused by file /vmfs/volumes/ds/vm/vm-ctk.vmdk</faultstring><detail><FileFaultFault xsi:type="FileFault"><file>vm-ctk.vmdk</file></FileFaultFault></detail>' +
    "</soapenv:Fault></soapenv:Body></soapenv:Envelope>";
  assert.throws(() => parseDiskChangeInfo(fault), (err: unknown) => err instanceof VsphereFault && err.faultType === "FileFault");
});
