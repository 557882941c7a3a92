// What landfall reports about a guest after inspection and conversion (VMMigration status.guest). Pure.
import type { V2vLogSummary } from "./v2v-log.ts";

export interface GuestReport {
  /** linux | windows | … | unknown */
  os: string;
  distro?: string;
  version?: string;
  productName?: string;
  firmware?: "bios" | "uefi";
  /** Changes made inside the guest, in the order they were made. */
  actions: string[];
  warnings: string[];
  /** Tool and version that converted the guest. */
  converter?: string;
  /** Why the guest was left as it was, when it was. */
  message?: string;
}

export function unknownGuest(message: string): GuestReport {
  return { os: "unknown", actions: [], warnings: [], message };
}

function versionOf(major: string | undefined, minor: string | undefined): string | undefined {
  if (major === undefined) return undefined;
  return minor !== undefined && minor !== "0" ? `${major}.${minor}` : major;
}

/** The report for a conversion virt-v2v finished, from what its log showed. */
export function guestReport(summary: V2vLogSummary): GuestReport {
  const i = summary.inspection;
  const report: GuestReport = { os: i.type ?? "unknown", actions: [...summary.actions], warnings: [...summary.warnings] };
  if (i.distro) report.distro = i.distro;
  const version = versionOf(i.majorVersion, i.minorVersion);
  if (version) report.version = version;
  if (i.productName) report.productName = i.productName;
  const firmware = i.firmware?.toLowerCase();
  if (firmware === "bios" || firmware === "uefi") report.firmware = firmware;
  if (summary.tool) report.converter = `${summary.tool} (virt-v2v-in-place)`;
  return report;
}
