/** What the CLI reads and writes, injectable so that tests run it in-process. */

export interface Output {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CliIo {
  stdout: Output;
  stderr: Output;
  env: Record<string, string | undefined>;
  /** Where `-f -` and `--token-stdin` read from; process.stdin when absent. */
  stdin?: AsyncIterable<string | Uint8Array>;
  /** How often --watch, --wait and --follow poll; 1000 ms when absent (tests shorten it). */
  pollIntervalMs?: number;
}

export async function readAll(input: AsyncIterable<string | Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of input) text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
