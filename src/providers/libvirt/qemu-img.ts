// qemu-img through the bounded runner. Conversions of real disks take minutes, hence their own timeout.
import { LibvirtError } from "./errors.ts";
import type { ProcessRunner } from "./process.ts";

export interface ImageInfo {
  format: string;
  virtualSizeBytes: number;
  actualSizeBytes: number;
  backingFile?: string;
}

export function parseImageInfo(json: string): ImageInfo {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(json) as Record<string, unknown>;
  } catch (error) {
    throw new LibvirtError("CommandFailed", `qemu-img info printed no JSON: ${json.slice(0, 200)}`, { cause: error });
  }
  const info: ImageInfo = {
    format: String(data["format"] ?? ""),
    virtualSizeBytes: Number(data["virtual-size"] ?? 0),
    actualSizeBytes: Number(data["actual-size"] ?? 0),
  };
  if (typeof data["backing-filename"] === "string") info.backingFile = data["backing-filename"];
  return info;
}

export class QemuImg {
  readonly #runner: ProcessRunner;
  readonly #convertTimeoutMs: number;

  constructor(runner: ProcessRunner, convertTimeoutMs: number) {
    this.#runner = runner;
    this.#convertTimeoutMs = convertTimeoutMs;
  }

  /** -U: the image may belong to a running domain (shared lock). */
  async info(path: string, format?: string): Promise<ImageInfo> {
    const args = ["info", "--output=json", "-U"];
    if (format) args.push("-f", format);
    args.push(path);
    return parseImageInfo((await this.#runner.run("qemu-img", args)).stdout);
  }

  async convert(source: string, sourceFormat: string, target: string, targetFormat: string): Promise<void> {
    await this.#runner.run("qemu-img", ["convert", "-f", sourceFormat, "-O", targetFormat, source, target], {
      timeoutMs: this.#convertTimeoutMs,
    });
  }

  async resize(path: string, format: string, sizeBytes: number): Promise<void> {
    await this.#runner.run("qemu-img", ["resize", "-f", format, path, String(sizeBytes)]);
  }

  /** A qcow2 overlay: writes land in `path`, the backing file is only read. */
  async createOverlay(path: string, backingPath: string, backingFormat: string, sizeBytes?: number): Promise<void> {
    const args = ["create", "-f", "qcow2", "-b", backingPath, "-F", backingFormat, path];
    if (sizeBytes !== undefined) args.push(String(sizeBytes));
    await this.#runner.run("qemu-img", args);
  }
}
