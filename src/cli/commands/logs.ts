/** `suanli jobs logs [--tail BYTES] [--follow]`. */
import type { ApiClient } from '../client.ts';
import type { Context } from '../context.ts';
import { pollUntilTerminal } from './poll.ts';

function logsPath(id: string): string {
  return `/jobs/${encodeURIComponent(id)}/logs`;
}

export async function followLogs(
  ctx: Context,
  client: ApiClient,
  id: string,
  opts: { tail?: number; follow?: boolean },
): Promise<void> {
  // Streaming decode: a poll may end in the middle of a multi-byte character.
  const decoder = new TextDecoder();
  if (!opts.follow) {
    ctx.out(decoder.decode(await client.bytes(logsPath(id), { query: { tailBytes: opts.tail } })));
    return;
  }
  // The API has no byte offsets, only the whole log or its tail; following therefore refetches the whole log
  // and prints what lies past the bytes already printed. Job logs here are small enough for that.
  let printed: number | undefined;
  await pollUntilTerminal(client, id, ctx.pollIntervalMs, async () => {
    const bytes = await client.bytes(logsPath(id));
    // The first fetch honours --tail; a log that shrank (a new attempt after preemption) restarts from zero.
    if (printed === undefined) printed = opts.tail === undefined ? 0 : Math.max(0, bytes.length - opts.tail);
    else if (bytes.length < printed) printed = 0;
    if (bytes.length > printed) ctx.out(decoder.decode(bytes.subarray(printed), { stream: true }));
    printed = bytes.length;
  });
  ctx.out(decoder.decode());
}
