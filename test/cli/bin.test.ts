import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../bin/suanli.js');

describe('bin/suanli.js', () => {
  it('runs as a real process and lists the commands in --help', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, '--help'], { env: { ...process.env } });
    for (const command of [
      'server',
      'login',
      'submit',
      'jobs',
      'clusters',
      'prices',
      'usage',
      'reconcile',
      'providers',
      'tenants',
      'projects',
      'users',
      'tokens',
      'programmes',
    ])
      expect(stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it('exits with the CLI exit code', async () => {
    const home = join(import.meta.dirname, 'no-such-home');
    const result = await promisify(execFile)(process.execPath, [BIN, 'jobs', 'ls'], {
      env: { PATH: process.env.PATH, XDG_CONFIG_HOME: home, HOME: home },
    }).catch((e: { code: number; stderr: string }) => e);
    expect(result).toMatchObject({
      code: 1,
      stderr: 'suanli: not logged in: run suanli login or set SUANLI_TOKEN\n',
    });
  });
});
