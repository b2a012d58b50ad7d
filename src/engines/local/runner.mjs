/**
 * The local engine's job runner: `node runner.mjs <job folder>`.
 *
 * Plain JavaScript (not TypeScript) so that plain Node starts it fast and without a loader. The engine spawns it
 * detached, so the job outlives the control plane. It starts one process per rank, enforces the time limit,
 * turns SIGTERM into a cancel, and records start and end in status.json (shapes in files.ts). It is the only
 * writer of status.json.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';

const jobDir = process.argv[2];
if (!jobDir) {
  process.stderr.write('usage: runner.mjs <job folder>\n');
  process.exit(2);
}

const paths = {
  request: join(jobDir, 'request.json'),
  status: join(jobDir, 'status.json'),
  cancel: join(jobDir, 'cancel'),
  log: join(jobDir, 'output.log'),
  work: join(jobDir, 'work'),
};
// The state the signal handlers use, declared before they are installed: a handler must never meet a variable in
// its temporal dead zone, whenever the signal comes.
/** @type {{state: string, reason: string, exitCode: number | null} | null} */
let ending = null;
/** @type {Array<{rank: number, node: string, accelerators: number[], pid: number | null, exitCode: number | null, signal: string | null, done: boolean}>} */
const ranks = [];
let startedAt = null;
let deadlineTimer = null;
let killTimer = null;
let bootId = null;
/** The engine's kill grace; until the request is read, none. */
let graceMs = 0;

// Installed before the request is read: a cancel that arrives while we start must not leave ranks behind.
process.on('SIGTERM', () => end('cancelled', 'cancelled by request', null, cancelGraceMs()));
process.on('SIGINT', () => end('cancelled', 'cancelled by request', null));
process.on('SIGHUP', () => {});

const request = JSON.parse(readFileSync(paths.request, 'utf8'));
bootId = readBootId();
graceMs = Math.max(0, request.killGraceSeconds * 1000);

/** The grace the cancel marker asks for (a preemption's); undefined = the engine's kill grace. */
function cancelGraceMs() {
  try {
    const marker = JSON.parse(readFileSync(join(jobDir, 'cancel'), 'utf8'));
    if (typeof marker?.graceSeconds === 'number' && marker.graceSeconds >= 0) return marker.graceSeconds * 1000;
  } catch {
    // No marker, or an older engine's bare timestamp.
  }
  return undefined;
}

function readBootId() {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

function note(message) {
  appendFileSync(paths.log, `[suanli] ${message}\n`);
}

function writeStatus(fields) {
  const status = {
    state: 'running',
    reason: null,
    runnerPid: process.pid,
    bootId,
    startedAt,
    endedAt: null,
    exitCode: null,
    ranks: ranks.map(({ done: _done, ...rank }) => rank),
    ...fields,
  };
  const temp = `${paths.status}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(status, null, 2)}\n`);
  renameSync(temp, paths.status);
}

/** Each rank leads its own process group, so a signal reaches the shell's children too. */
function signalRanks(signal) {
  for (const rank of ranks) {
    if (rank.pid === null) continue;
    try {
      process.kill(-rank.pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/**
 * The first cause wins: a rank killed by our own SIGTERM must not turn a timeout into a failure. The ranks get
 * `grace` ms between SIGTERM and SIGKILL.
 */
function end(state, reason, exitCode, grace = graceMs) {
  if (ending) return;
  ending = { state, reason, exitCode };
  if (ranks.some((rank) => !rank.done)) note(`${reason}; stopping the job (grace ${Math.round(grace / 1000)} s)`);
  signalRanks('SIGTERM');
  killTimer = setTimeout(() => signalRanks('SIGKILL'), Math.min(grace, 2 ** 31 - 1));
  finishIfDone();
}

function codeOf(rank) {
  if (rank.exitCode !== null) return rank.exitCode;
  const number = rank.signal ? constants.signals[rank.signal] : undefined;
  return number === undefined ? null : 128 + number;
}

function rankExited(rank, exitCode, signal) {
  if (rank.done) return;
  rank.done = true;
  rank.exitCode = exitCode;
  rank.signal = signal;
  if (exitCode !== 0) {
    const how = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
    end('failed', `rank ${rank.rank} on ${rank.node} ${how}`, codeOf(rank));
  }
  finishIfDone();
}

function finishIfDone() {
  if (ranks.some((rank) => !rank.done)) return;
  clearTimeout(deadlineTimer);
  clearTimeout(killTimer);
  // Slurm-like cleanup: whatever a rank left running in its group goes with the job.
  signalRanks('SIGKILL');
  const state = ending?.state ?? 'succeeded';
  const exitCode = ending?.exitCode ?? ranks.map(codeOf).find((code) => code !== 0) ?? 0;
  writeStatus({ state, reason: ending?.reason ?? null, endedAt: new Date().toISOString(), exitCode });
  process.exit(0);
}

/** setTimeout cannot wait longer than 2^31-1 ms (it fires at once instead), so long limits re-arm. */
function armDeadline(deadline) {
  const remaining = deadline - Date.now();
  if (remaining <= 0) {
    end('timeout', `time limit of ${request.spec.timeLimitSeconds} s reached`, null);
    return;
  }
  deadlineTimer = setTimeout(() => armDeadline(deadline), Math.min(remaining, 2 ** 31 - 1));
}

function rankEnv(rank) {
  const accelerators = rank.accelerators.join(',');
  const env = {
    ...process.env,
    ...request.spec.env,
    SUANLI_JOB_ID: request.jobId,
    SUANLI_ENGINE_JOB_ID: request.engineJobId,
    SUANLI_NODE_RANK: String(rank.rank),
    SUANLI_NNODES: String(request.ranks.length),
    SUANLI_NODE_NAME: rank.node,
    SUANLI_ACCELERATORS: accelerators,
    SUANLI_ACCELERATOR_MODEL: request.acceleratorModel,
  };
  if (request.real) env.CUDA_VISIBLE_DEVICES = accelerators;
  return env;
}

function startRank(assignment, logFd) {
  const { command, script } = request.spec;
  const [file, args] = script !== undefined ? ['/bin/sh', ['-c', script]] : [command[0], command.slice(1)];
  const rank = { ...assignment, pid: null, exitCode: null, signal: null, done: false };
  ranks.push(rank);
  const child = spawn(file, args, {
    cwd: paths.work,
    env: rankEnv(assignment),
    stdio: ['ignore', logFd, logFd],
    detached: true,
  });
  rank.pid = child.pid ?? null;
  child.once('error', (error) => {
    note(`rank ${rank.rank} on ${rank.node}: cannot start ${file}: ${error.message}`);
    rankExited(rank, 127, null);
  });
  child.once('exit', (code, signal) => rankExited(rank, code, signal));
}

if (existsSync(paths.cancel)) {
  // Cancelled before we got going: record it without starting anything.
  writeStatus({ state: 'cancelled', reason: 'cancelled before start', endedAt: new Date().toISOString() });
  process.exit(0);
}

startedAt = new Date().toISOString();
const logFd = openSync(paths.log, 'a');
for (const assignment of request.ranks) startRank(assignment, logFd);
closeSync(logFd);
writeStatus({});
armDeadline(Date.parse(startedAt) + request.spec.timeLimitSeconds * 1000);
