/**
 * Slurm's hostlist expressions ("hf[1-3,7],wh01"): what slurmctld reports as a job's nodes. Expanded here so that
 * a job Slurm placed itself (queued ahead, see docs/scheduling.md) is counted on the nodes it really holds.
 */

/** Splits on commas outside brackets. */
function topLevelParts(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(expression.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(expression.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

function expandRange(range: string): string[] {
  const [from, to] = range.split('-');
  if (from === undefined || !/^\d+$/.test(from) || (to !== undefined && !/^\d+$/.test(to))) {
    throw new Error(`not a hostlist range: "${range}"`);
  }
  if (to === undefined) return [from];
  const width = from.length;
  const out: string[] = [];
  for (let n = Number(from); n <= Number(to); n++) out.push(String(n).padStart(width, '0'));
  return out;
}

/** "hf[1-2],wh3" → ["hf1", "hf2", "wh3"]; throws on what is not a hostlist. Handles one bracket group per name. */
export function expandHostlist(expression: string): string[] {
  const names: string[] = [];
  for (const part of topLevelParts(expression)) {
    const open = part.indexOf('[');
    if (open < 0) {
      names.push(part);
      continue;
    }
    const close = part.indexOf(']', open);
    if (close < 0) throw new Error(`not a hostlist: "${expression}"`);
    const prefix = part.slice(0, open);
    const suffix = part.slice(close + 1);
    for (const range of part.slice(open + 1, close).split(',')) {
      for (const n of expandRange(range)) names.push(`${prefix}${n}${suffix}`);
    }
  }
  return names;
}
