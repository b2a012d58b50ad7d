// Used by scripts/slurm-up: mints a JWT per cluster with the lab's HS256 key, checks it against that cluster's
// slurmrestd (ping), and writes DIR/lab.json. Never prints a token.
//
//   node lab-json.mjs DIR USER JWT_KEY DBD_PORT MYSQL_PORT "name prefix count gpus type partition ctld rest node"...
/* global process, Buffer, fetch, AbortSignal, setTimeout -- Node globals */
import { createHmac } from 'node:crypto';
import { readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, user, jwtKeyFile, dbdPort, mysqlPort, ...specs] = process.argv.slice(2);
const TEN_YEARS = 10 * 365 * 24 * 3600;

function b64url(data) {
  return Buffer.from(data).toString('base64url');
}

function mint(username, lifetimeSeconds) {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify({ iat: now, exp: now + lifetimeSeconds, sun: username }));
  const signature = createHmac('sha256', readFileSync(jwtKeyFile)).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

function pids() {
  const out = {};
  for (const file of readdirSync(join(dir, 'pids')).sort()) {
    if (!file.endsWith('.pid')) continue;
    const pid = Number(readFileSync(join(dir, 'pids', file), 'utf8').split(' ')[0]);
    out[file.slice(0, -4)] = pid;
  }
  return out;
}

async function ping(restUrl, token) {
  let last = '';
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      const response = await fetch(`${restUrl}/slurm/v0.0.38/ping`, {
        headers: { 'X-SLURM-USER-NAME': user, 'X-SLURM-USER-TOKEN': token },
        signal: AbortSignal.timeout(3000),
      });
      const body = await response.text();
      if (response.ok) return;
      last = `HTTP ${response.status}: ${body.slice(0, 300)}`;
    } catch (error) {
      last = String(error?.cause?.message ?? error?.message ?? error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${restUrl}/slurm/v0.0.38/ping failed: ${last}`);
}

const allPids = pids();
const clusters = [];
for (const spec of specs) {
  const [name, prefix, count, gpus, type, partition, ctldPort, restPort] = spec.split(' ');
  const restUrl = `http://127.0.0.1:${restPort}`;
  const token = mint(user, TEN_YEARS);
  await ping(restUrl, token);
  const nodes = Array.from({ length: Number(count) }, (_, i) => `${prefix}${i + 1}`);
  clusters.push({
    name,
    restUrl,
    user,
    token,
    jwtKeyFile,
    partitions: [partition],
    gres: { type, perNode: Number(gpus) },
    nodes,
    slurmConf: join(dir, name, 'slurm.conf'),
    slurmctldPort: Number(ctldPort),
    pids: Object.fromEntries(Object.entries(allPids).filter(([k]) => k.startsWith(`${name}-`))),
  });
}

const lab = {
  version: 1,
  dir,
  createdAt: new Date().toISOString(),
  user,
  jwtKeyFile,
  slurmdbdPort: Number(dbdPort),
  mysqlPort: Number(mysqlPort),
  clusters,
  pids: allPids,
};
const file = join(dir, 'lab.json');
writeFileSync(`${file}.tmp`, `${JSON.stringify(lab, null, 2)}\n`, { mode: 0o600 });
renameSync(`${file}.tmp`, file);
