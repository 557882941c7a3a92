// Reads what virt-v2v(-in-place) did from its verbose log (-v), line by line: its inspection of the guest
// (the `i_<field> = <value>` block it prints before converting) and the changes it made inside the guest
// (package removals, initramfs rebuilds, bootloader updates), plus the warnings it printed. Pure: no I/O, so the
// patterns are tested against real log excerpts.

export interface V2vInspection {
  /** linux | windows | … (libguestfs inspect_get_type) */
  type?: string;
  distro?: string;
  osinfo?: string;
  majorVersion?: string;
  minorVersion?: string;
  productName?: string;
  /** BIOS | UEFI as virt-v2v detected it */
  firmware?: string;
}

export interface V2vLogSummary {
  /** e.g. "virt-v2v 2.2.0", from the first line of the verbose log */
  tool?: string;
  inspection: V2vInspection;
  actions: string[];
  warnings: string[];
  /** virt-v2v's own error lines; its verbose log goes on for pages after them, past any stderr tail. */
  errors: string[];
}

const INSPECTION_FIELDS: Record<string, keyof V2vInspection> = {
  i_type: "type",
  i_distro: "distro",
  i_osinfo: "osinfo",
  i_major_version: "majorVersion",
  i_minor_version: "minorVersion",
  i_product_name: "productName",
  i_firmware: "firmware",
};

/** Commands virt-v2v runs inside the guest, and the action each one is. */
const GUEST_COMMANDS: Array<{ pattern: RegExp; action: (m: RegExpExecArray) => string }> = [
  { pattern: /^commandrvf: dpkg --purge (.+)$/, action: (m) => `removed packages ${m[1].trim()} (dpkg --purge)` },
  { pattern: /^commandrvf: (?:rpm -e|yum -y remove|dnf -y remove|zypper -n rm) (.+)$/, action: (m) => `removed packages ${m[1].trim()}` },
  {
    pattern: /^commandrvf: \S*update-initramfs .*-k (\S+)/,
    action: (m) => `rebuilt the initramfs of kernel ${m[1]} with virtio drivers (update-initramfs)`,
  },
  { pattern: /^commandrvf: \S*dracut .*?(\S+)$/, action: (m) => `rebuilt the initramfs with virtio drivers (dracut ${m[1]})` },
  { pattern: /^commandrvf: \S*mkinitrd .*?(\S+)$/, action: (m) => `rebuilt the initramfs with virtio drivers (mkinitrd ${m[1]})` },
  { pattern: /^commandrvf: \S*grub2?-mkconfig -o (\S+)/, action: (m) => `regenerated the GRUB configuration ${m[1]}` },
  { pattern: /^commandrvf: \S*update-grub\b/, action: () => "regenerated the GRUB configuration (update-grub)" },
];

const WARNING = /^virt-v2v(?:-in-place)?: warning: (.+)$/;
const ERROR = /^virt-v2v(?:-in-place)?: error: (.+)$/;

/** Folds one log line into the summary (call for every line, stdout and stderr alike). */
export function readV2vLine(summary: V2vLogSummary, rawLine: string): void {
  const line = rawLine.replace(/\r$/, "");
  const version = /^virt-v2v(?:-in-place)?: (virt-v2v [0-9][^ ]*)/.exec(line);
  if (version) {
    summary.tool ??= version[1];
    return;
  }
  const field = /^(i_[a-z_]+) = (.*)$/.exec(line);
  if (field) {
    const key = INSPECTION_FIELDS[field[1]];
    const value = field[2].trim();
    if (key && value && value !== "unknown") summary.inspection[key] = value;
    return;
  }
  const error = ERROR.exec(line);
  if (error) {
    summary.errors.push(error[1]);
    return;
  }
  const warning = WARNING.exec(line);
  if (warning) {
    if (!summary.warnings.includes(warning[1])) summary.warnings.push(warning[1]);
    return;
  }
  for (const { pattern, action } of GUEST_COMMANDS) {
    const m = pattern.exec(line);
    if (m) {
      const text = action(m);
      if (!summary.actions.includes(text)) summary.actions.push(text);
      return;
    }
  }
}

export function emptyV2vSummary(): V2vLogSummary {
  return { inspection: {}, actions: [], warnings: [], errors: [] };
}

/** virt-v2v's answer for a disk on which inspection found no operating system. */
export function foundNoOperatingSystem(summary: V2vLogSummary): boolean {
  return summary.errors.some((e) => /inspection could not detect the source guest/i.test(e));
}
