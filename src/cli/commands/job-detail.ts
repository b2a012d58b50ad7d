/** The human form of `suanli jobs get`. */
import { dateTime, keyValues, relativeTime, table } from '../format.ts';
import type { JobDetailView } from '../types.ts';

function orDash(v: string | number | null | undefined): string {
  return v === null || v === undefined || v === '' ? '-' : String(v);
}

function clusterText(job: JobDetailView): string {
  if (job.clusterName === null || job.clusterId === null || job.clusterName === job.clusterId)
    return orDash(job.clusterName ?? job.clusterId);
  return `${job.clusterName} (${job.clusterId})`;
}

function acceleratorText(job: JobDetailView): string {
  const acc = job.spec.spec.resources?.accelerator ?? {};
  const parts: string[] = [];
  if (acc.model !== undefined) parts.push(acc.model);
  if (acc.anyOf !== undefined) parts.push(`any of ${acc.anyOf.join(', ')}`);
  if (acc.minMemoryGiB !== undefined) parts.push(`≥ ${acc.minMemoryGiB} GiB`);
  if (job.spec.spec.constraints?.domesticOnly === true) parts.push('domestic only');
  return parts.length === 0 ? 'any' : parts.join(', ');
}

function resources(job: JobDetailView): [string, string][] {
  const s = job.spec.spec;
  const nodes = s.resources?.nodes ?? 1;
  const perNode = s.resources?.acceleratorsPerNode ?? 1;
  const c = s.constraints ?? {};
  const pairs: [string, string][] = [
    ['Accelerators', `${nodes * perNode} (${nodes} node${nodes === 1 ? '' : 's'} × ${perNode})`],
    ['Model', acceleratorText(job)],
    ['Time limit', String(s.timeLimit)],
  ];
  if (c.regions !== undefined) pairs.push(['Regions', c.regions.join(', ')]);
  if (c.providers !== undefined) pairs.push(['Providers', c.providers.join(', ')]);
  if (c.maxFenPerAcceleratorHour !== undefined)
    pairs.push(['Max price', `${c.maxFenPerAcceleratorHour} fen per accelerator-hour`]);
  if (s.image !== undefined) pairs.push(['Image', s.image]);
  if (s.command !== undefined) pairs.push(['Command', s.command.map((a) => JSON.stringify(a)).join(' ')]);
  if (s.script !== undefined) pairs.push(['Script', s.script.trimEnd()]);
  return pairs;
}

export function renderJob(job: JobDetailView, now = new Date()): string {
  const pairs: [string, string][] = [
    ['ID', job.id],
    ['Name', job.name],
    ['Project', job.project],
    ['State', job.cancelRequested && job.state !== 'cancelled' ? `${job.state} (cancellation requested)` : job.state],
  ];
  // The reason is the first thing a user looks for: why is my job not running, why did it fail.
  if (job.reason !== null) pairs.push([job.state === 'pending' ? 'Waiting' : 'Reason', job.reason]);
  pairs.push(
    ['Priority', job.priorityClass],
    ['Submitted', `${dateTime(job.submittedAt)} (${relativeTime(job.submittedAt, now)}) by ${job.submittedBy}`],
    ['Started', dateTime(job.startedAt)],
    ['Ended', dateTime(job.endedAt)],
    ['Exit code', orDash(job.exitCode)],
    ['Cluster', clusterText(job)],
    ['Pool', orDash(job.pool)],
    ['Nodes', job.nodes.length === 0 ? '-' : job.nodes.join(', ')],
    ['Engine job', orDash(job.engineJobId)],
    ['Attempt', String(job.attempt)],
  );
  let out = keyValues(pairs);
  out += '\nResources:\n' + keyValues(resources(job), '  ');
  out += '\nEvents:\n';
  out +=
    job.events.length === 0
      ? '  (none)\n'
      : table(
          [{ header: 'TIME' }, { header: 'FROM' }, { header: 'TO' }, { header: 'REASON' }, { header: 'ACTOR' }],
          job.events.map((e) => [dateTime(e.at), e.from ?? '-', e.to, e.reason, e.actor]),
        );
  return out;
}
