/**
 * CPU seconds per process from /proc, for benchmarks on a shared machine: CPU spent per unit of work moves far less
 * with other processes' load than wall-clock rates do.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessCpu {
  pid: number;
  ppid: number;
  /** The command name (`comm`), e.g. postgres, slurmrestd. */
  name: string;
  /** User + system seconds, its own and those of its children it has waited for (ended job steps, psql). */
  cpuSeconds: number;
}

const USER_HZ = 100;

export function processesCpu(): ProcessCpu[] {
  const found: ProcessCpu[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // the process ended meanwhile
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    found.push({
      pid: Number(entry),
      ppid: Number(fields[1]),
      name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
      cpuSeconds: (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / USER_HZ,
    });
  }
  return found;
}

/** CPU seconds so far of a server and its direct children (PostgreSQL's postmaster and backends). */
export function serverCpuSeconds(pid: number): number {
  return processesCpu()
    .filter((p) => p.pid === pid || p.ppid === pid)
    .reduce((sum, p) => sum + p.cpuSeconds, 0);
}
