/** `suanli server --no-loop` as a child process over a database, for the benchmarks (bench/api.ts, bench/slurm.ts). */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Starts the API process; resolves with its URL once it listens. `nodeArgs` go to node (a CPU profile, say). */
export async function startApiProcess(
  databaseUrl: string,
  dataDir: string,
  nodeArgs: readonly string[] = [],
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [...nodeArgs, join(REPO, 'bin/suanli.js'), 'server', '--no-loop', '--port', '0', '--data', dataDir],
    // Warnings only: a line per request would be the bench's own cost, not the platform's.
    {
      env: { ...process.env, SUANLI_DATABASE_URL: databaseUrl, SUANLI_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`suanli server --no-loop exited with ${code}`)));
    lines.on('line', (line) => {
      const found = /API listening on (http:\/\/\S+)/.exec(line);
      if (found) resolve(found[1]!);
    });
  });
  return { url, child };
}
