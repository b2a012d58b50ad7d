/** What every command gets: its I/O and a way to reach the API with the global connection options. */
import type { Command } from 'commander';
import { ApiClient } from './client.ts';
import { resolveConnection } from './config.ts';
import { readAll, type CliIo } from './io.ts';

export interface GlobalOptions {
  url?: string;
  token?: string;
}

export class Context {
  readonly io: CliIo;

  constructor(io: CliIo) {
    this.io = io;
  }

  out(text: string): void {
    this.io.stdout.write(text);
  }

  err(text: string): void {
    this.io.stderr.write(text);
  }

  get pollIntervalMs(): number {
    return this.io.pollIntervalMs ?? 1000;
  }

  globals(cmd: Command): GlobalOptions {
    return cmd.optsWithGlobals<GlobalOptions>();
  }

  async client(cmd: Command): Promise<ApiClient> {
    const { url, token } = await resolveConnection(this.globals(cmd), this.io.env);
    return new ApiClient(url, token);
  }

  readStdin(): Promise<string> {
    return readAll(this.io.stdin ?? process.stdin);
  }
}
