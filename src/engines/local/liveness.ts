/**
 * Whether a recorded process still runs. The pids come from files that may outlive the processes (and the boot).
 */
import { readFileSync } from 'node:fs';

let cachedBootId: string | null | undefined;

/** Linux's per-boot id, or null elsewhere. */
export function currentBootId(): string | null {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      cachedBootId = null;
    }
  }
  return cachedBootId;
}

/** A zombie has exited but answers signal 0; in a container whose init never reaps, it would look alive forever. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may contain spaces; the state follows the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

export function isAlive(pid: number | null | undefined, bootId: string | null): boolean {
  if (!pid || pid <= 0) return false;
  const now = currentBootId();
  // After a reboot the pid may have been handed to an unrelated process.
  if (bootId && now && bootId !== now) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

/** Signals a process (or, with `group`, its whole process group); a process that is already gone is not an error. */
export function signal(pid: number, sig: NodeJS.Signals, group = false): boolean {
  try {
    process.kill(group ? -pid : pid, sig);
    return true;
  } catch {
    return false;
  }
}
