/**
 * The batch job a suanli JobSpec becomes, independent of the REST version: the script, its environment and the
 * output file.
 */
import type { JobSpec } from '../../core/domain.ts';
import { EngineRejection } from '../engine.ts';

/** Quotes one word for /bin/sh. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The batch script. A command replaces the shell (exec) with quoted arguments; on several nodes it is started
 * once per node with srun, as the local engine runs one rank per node. A script runs once, with /bin/sh, on the
 * first node (it may call srun itself).
 */
export function batchScript(spec: JobSpec): string {
  if (spec.image) {
    throw new EngineRejection(
      'this Slurm cluster has no container runtime configured for suanli: submit a command or script, not an image',
    );
  }
  const header = `#!/bin/sh\n# submitted by suanli\n`;
  if (spec.command && spec.command.length > 0) {
    const argv = spec.command.map(shellQuote).join(' ');
    if (spec.nodes > 1) return `${header}exec srun --ntasks-per-node=1 --ntasks=${spec.nodes} -- ${argv}\n`;
    return `${header}exec ${argv}\n`;
  }
  if (spec.script !== undefined) return `${header}${spec.script}${spec.script.endsWith('\n') ? '' : '\n'}`;
  throw new EngineRejection('the job has neither a command nor a script');
}

/** Whole minutes, rounded up; Slurm's smallest limit is one minute. */
export function timeLimitMinutes(seconds: number): number {
  return Math.max(1, Math.ceil(seconds / 60));
}

/** The environment of the batch job: a plain PATH and locale, suanli's ids, then the spec's own variables. */
export function jobEnvironment(spec: JobSpec, jobId: string, tag: string): Record<string, string> {
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C.UTF-8',
    SUANLI_JOB_ID: jobId,
    SUANLI_DISPATCH_TAG: tag,
    ...spec.env,
  };
}

/** A tag as it may appear in a file name. */
export function fileSafe(tag: string): string {
  return tag.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120);
}

/** The output file pattern given to Slurm ("%j" is the job id); stdout and stderr both go there. */
export function outputPattern(workDir: string, tag: string): string {
  return `${workDir.replace(/\/+$/, '')}/suanli-${fileSafe(tag)}-%j.out`;
}

/** Expands the filename patterns Slurm knows (%j, %x, %u, %%) for one job. */
export function expandOutputPath(pattern: string, job: { id: string; name?: string; user?: string }): string {
  return pattern.replace(/%(%|j|x|u|A)/g, (_, code: string) => {
    switch (code) {
      case '%':
        return '%';
      case 'j':
      case 'A':
        return job.id;
      case 'x':
        return job.name ?? '';
      default:
        return job.user ?? '';
    }
  });
}
