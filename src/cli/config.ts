/** The saved login (`suanli login`) and how a command picks its server and token. */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError } from './errors.ts';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

export interface SavedConfig {
  url?: string;
  token?: string;
}

type Env = Record<string, string | undefined>;

export function configPath(env: Env): string {
  const xdg = env['XDG_CONFIG_HOME'];
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const base = xdg !== undefined && xdg.startsWith('/') ? xdg : join(env['HOME'] || homedir(), '.config');
  return join(base, 'suanli', 'config.json');
}

export async function loadConfig(env: Env): Promise<SavedConfig> {
  const path = configPath(env);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    const { url, token } = parsed as Record<string, unknown>;
    return { ...(typeof url === 'string' ? { url } : {}), ...(typeof token === 'string' ? { token } : {}) };
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${(e as Error).message} (run suanli login again)`);
  }
}

/** Writes the token readable by the owner only; a temp file and rename so a crash never leaves half a file. */
export async function saveConfig(env: Env, config: SavedConfig): Promise<string> {
  const path = configPath(env);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  // The mode given to writeFile is filtered by the umask; make sure.
  await chmod(temp, 0o600);
  await rename(temp, path);
  return path;
}

export interface Connection {
  url: string;
  token: string | undefined;
}

export interface ConnectionFlags {
  url?: string | undefined;
  token?: string | undefined;
}

/** Flags first, then SUANLI_URL / SUANLI_TOKEN, then the saved config. */
export async function resolveConnection(flags: ConnectionFlags, env: Env): Promise<Connection> {
  let url = flags.url ?? nonEmpty(env['SUANLI_URL']);
  let token = flags.token ?? nonEmpty(env['SUANLI_TOKEN']);
  if (url === undefined || token === undefined) {
    const saved = await loadConfig(env);
    url ??= saved.url;
    // A token saved for another server must not be sent to this one.
    if (token === undefined && (saved.url === undefined || sameServer(saved.url, url))) token = saved.token;
  }
  return { url: normaliseUrl(url ?? DEFAULT_URL), token };
}

export function normaliseUrl(raw: string): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new CliError(`invalid server URL "${raw}": use e.g. ${DEFAULT_URL}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new CliError(`invalid server URL "${raw}": must start with http:// or https://`);
  return parsed.href.replace(/\/+$/, '');
}

function sameServer(a: string, b: string | undefined): boolean {
  if (b === undefined) return true;
  try {
    return normaliseUrl(a) === normaliseUrl(b);
  } catch {
    return false;
  }
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s.trim() === '' ? undefined : s.trim();
}
