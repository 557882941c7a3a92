// A tiny bootable test disk: sector 0 is a BIOS boot sector that prints a marker to COM1 and halts. When the
// marker shows up on a VM's serial console, the disk it booted from carries our bytes and was attached
// correctly — proof that a migrated disk boots, in ~5 s, with no OS image.
import { randomFillSync } from "node:crypto";
import { open, readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

const SECTOR = 512;
const LOAD_ADDRESS = 0x7c00;

/**
 * Real-mode code, assembled by hand (offsets in comments):
 *   00 cli               FA
 *   01 xor ax,ax         31 C0
 *   03 mov ds,ax         8E D8
 *   05 mov si,msg        BE lo hi
 *   08 cld               FC
 *   09 mov dx,0x3F8      BA F8 03      COM1 data port
 *   0C next: lodsb       AC
 *   0D test al,al        84 C0
 *   0F jz halt           74 03
 *   11 out dx,al         EE
 *   12 jmp next          EB F8
 *   14 halt: cli         FA
 *   15 hlt               F4
 *   16 jmp halt          EB FC
 *   18 msg: marker, CR, LF, NUL
 */
const MESSAGE_OFFSET = 0x18;

export function bootSector(marker: string): Buffer {
  const message = Buffer.from(`${marker}\r\n\0`, "latin1");
  if (/[^\x20-\x7e]/.test(marker)) throw new Error(`boot marker ${JSON.stringify(marker)} must be printable ASCII`);
  if (MESSAGE_OFFSET + message.length > SECTOR - 2) {
    throw new Error(`boot marker is ${marker.length} characters; at most ${SECTOR - 2 - MESSAGE_OFFSET - 3} fit`);
  }
  const address = LOAD_ADDRESS + MESSAGE_OFFSET;
  const code = [
    0xfa, 0x31, 0xc0, 0x8e, 0xd8, 0xbe, address & 0xff, address >> 8, 0xfc, 0xba, 0xf8, 0x03, 0xac, 0x84, 0xc0, 0x74,
    0x03, 0xee, 0xeb, 0xf8, 0xfa, 0xf4, 0xeb, 0xfc,
  ];
  const sector = Buffer.alloc(SECTOR);
  Buffer.from(code).copy(sector, 0);
  message.copy(sector, MESSAGE_OFFSET);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

export interface BootDiskOptions {
  sizeBytes: number;
  marker: string;
  /** What follows the boot sector: zeros (sparse file) or random bytes (a hash that proves every byte). */
  fill?: "zero" | "random";
}

/** Writes a raw disk image of exactly sizeBytes whose first sector boots and prints `marker`. */
export async function writeBootDisk(path: string, options: BootDiskOptions): Promise<void> {
  if (options.sizeBytes < SECTOR || options.sizeBytes % SECTOR !== 0) {
    throw new Error(`boot disk size ${options.sizeBytes} must be a positive multiple of ${SECTOR}`);
  }
  const file = await open(path, "w");
  try {
    await file.write(bootSector(options.marker), 0, SECTOR, 0);
    if (options.fill === "random") {
      const chunk = Buffer.alloc(1 << 20);
      for (let offset = SECTOR; offset < options.sizeBytes; offset += chunk.length) {
        const length = Math.min(chunk.length, options.sizeBytes - offset);
        randomFillSync(chunk, 0, length);
        await file.write(chunk, 0, length, offset);
      }
    }
    await file.truncate(options.sizeBytes);
  } finally {
    await file.close();
  }
}

/** Polls the console log until it contains `marker`; rejects after timeoutMs with what the log held. */
export async function waitForConsole(logPath: string, marker: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let seen = "";
  while (Date.now() < deadline) {
    seen = await readFile(logPath, "latin1").catch(() => "");
    if (seen.includes(marker)) return seen;
    await sleep(100);
  }
  throw new Error(`marker ${JSON.stringify(marker)} not in ${logPath} after ${timeoutMs} ms; log: ${JSON.stringify(seen.slice(-500))}`);
}
