// `wait` for VMMigrations and VMImports shows the transfer while it waits: on a TTY one line redrawn on every
// watch event; elsewhere (CI logs, pipes) a line only when the phase changes or another 10% is done.
// Progress goes to stderr so stdout keeps `wait`'s one-line result.
import type { KindInfo } from "../../api/kinds.ts";
import type { KubeObject } from "../../api/meta.ts";
import { parseKindAndName } from "../args.ts";
import { LandfallClient, type RequestOptions, type WatchEventMessage } from "../client.ts";
import { nextProgressMark, type ProgressMark, transferLine, transferProgressOf } from "../progress.ts";
import { waitCommand } from "./wait.ts";

export interface ProgressSink {
  isTTY: boolean;
  write(text: string): void;
  /** Terminal width, for clipping the redrawn line. */
  columns?: number;
}

/** Kinds whose status carries a transfer worth drawing. */
const WITH_PROGRESS = new Set(["VMMigration", "VMImport"]);

/** Turns each observed object into progress output; stateful only in what it last printed. */
export class ProgressReporter {
  readonly #sink: ProgressSink;
  readonly #label: string;
  #mark: ProgressMark | undefined;
  #drawn = false;
  #lastLine = "";

  constructor(sink: ProgressSink, label: string) {
    this.#sink = sink;
    this.#label = label;
  }

  observe(obj: KubeObject): void {
    const status = obj.status as { phase?: unknown } | undefined;
    const phase = typeof status?.phase === "string" ? status.phase : "Pending";
    const progress = transferProgressOf(status);
    if (this.#sink.isTTY) {
      const line = `${this.#label} ${transferLine(phase, progress)}`.slice(0, Math.max(20, (this.#sink.columns ?? 100) - 1));
      if (line === this.#lastLine) return;
      this.#lastLine = line;
      // \r returns to the line start, ESC[K clears what a longer previous line left behind.
      this.#sink.write(`\r${line}\x1b[K`);
      this.#drawn = true;
      return;
    }
    const mark = nextProgressMark(this.#mark, phase, progress);
    if (!mark) return;
    this.#mark = mark;
    this.#sink.write(`${this.#label} ${transferLine(phase, progress)}\n`);
  }

  /** Ends a redrawn line so what follows starts on its own line. */
  finish(): void {
    if (this.#drawn) this.#sink.write("\n");
    this.#drawn = false;
  }
}

/** A client that shows every object `wait` reads or is sent by the watch to an observer. */
export class ObservingClient extends LandfallClient {
  readonly #observe: (obj: KubeObject) => void;

  constructor(base: LandfallClient, observe: (obj: KubeObject) => void) {
    super({ server: base.server, token: base.token });
    this.#observe = observe;
  }

  override async get<T extends KubeObject = KubeObject>(info: KindInfo, namespace: string, name: string): Promise<T> {
    const obj = await super.get<T>(info, namespace, name);
    this.#observe(obj);
    return obj;
  }

  override watch(path: string, query: RequestOptions["query"], onEvent: (e: WatchEventMessage) => boolean, signal?: AbortSignal): Promise<void> {
    return super.watch(
      path,
      query,
      (e) => {
        if (e.type === "ADDED" || e.type === "MODIFIED") this.#observe(e.object);
        return onEvent(e);
      },
      signal,
    );
  }
}

export async function waitWithProgress(
  client: LandfallClient,
  target: string,
  nameArg: string | undefined,
  opts: { for?: string; timeout?: string; namespace?: string },
  sink: ProgressSink,
): Promise<string> {
  const { info, name } = parseKindAndName(target, nameArg);
  if (!WITH_PROGRESS.has(info.kind) || !name || opts.for === "delete") return waitCommand(client, target, nameArg, opts);
  const reporter = new ProgressReporter(sink, `${info.singular}/${name}`);
  try {
    return await waitCommand(new ObservingClient(client, (obj) => reporter.observe(obj)), target, nameArg, opts);
  } finally {
    reporter.finish();
  }
}
