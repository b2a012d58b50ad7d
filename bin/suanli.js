#!/usr/bin/env node
/* global process */
// Runs the TypeScript sources directly: tsx's loader is registered before the CLI is imported.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/main.ts');
const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
// Exit only once stdout has drained, so that piped output is never cut short.
process.stdout.write('', () => process.exit(code));
