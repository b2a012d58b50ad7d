import type { Engine, EngineJobStatus, EngineSubmitRequest } from '../../src/engines/engine.ts';

/**
 * A cluster with a queue: it accepts jobs and keeps them queued; `down` makes every call fail, as a dead controller,
 * and `delayMs` makes every call answer that late, as a controller that is struggling.
 */
export class QueueingCluster implements Engine {
  readonly kind = 'slurm' as const;
  down = false;
  delayMs = 0;
  /** Jobs by engine id: the nodes suanli named (none when queued ahead) and, once running, where they run. */
  readonly jobs = new Map<
    string,
    { tag: string; state: EngineJobStatus['state']; nodeNames: string[]; ranOn?: string[] }
  >();
  readonly cancelled: string[] = [];
  /** How often status() was asked. */
  statusCalls = 0;
  /** The most submits that were in flight at once. */
  maxSubmitsInFlight = 0;
  private submitsInFlight = 0;
  private next = 1;

  private async check(): Promise<void> {
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.down) throw new Error('connection refused: is the cluster controller running?');
  }
  async inventory() {
    await this.check();
    return {
      pools: [
        {
          name: 'a100',
          acceleratorModel: 'A100-80GB',
          nodes: [{ name: 'q-n1', accelerators: 8, state: 'idle' as const }],
        },
      ],
    };
  }
  async submit(request: EngineSubmitRequest) {
    this.maxSubmitsInFlight = Math.max(this.maxSubmitsInFlight, ++this.submitsInFlight);
    try {
      await this.check();
    } finally {
      this.submitsInFlight--;
    }
    const engineJobId = String(this.next++);
    this.jobs.set(engineJobId, { tag: request.tag, state: 'queued', nodeNames: request.nodeNames });
    return { engineJobId };
  }
  async findByTag(tag: string) {
    await this.check();
    const found = [...this.jobs.entries()].find(([, j]) => j.tag === tag);
    return found ? this.statusOf(found[0]) : null;
  }
  async listTagged(prefix: string) {
    await this.check();
    return [...this.jobs.entries()].filter(([, j]) => j.tag.startsWith(prefix)).map(([id]) => this.statusOf(id));
  }
  private statusOf(engineJobId: string): EngineJobStatus {
    const job = this.jobs.get(engineJobId);
    return {
      engineJobId,
      tag: job?.tag ?? '',
      state: job?.state ?? 'lost',
      reason: null,
      startedAt: job?.state === 'running' ? new Date() : null,
      endedAt: null,
      exitCode: null,
      ...(job?.ranOn ? { nodeNames: job.ranOn } : {}),
    };
  }
  async status(ids: string[]) {
    this.statusCalls++;
    await this.check();
    return ids.map((id) => this.statusOf(id));
  }
  async cancel(engineJobId: string) {
    await this.check();
    const job = this.jobs.get(engineJobId);
    if (job) job.state = 'cancelled';
    this.cancelled.push(engineJobId);
  }
  async accounting() {
    return null;
  }
  async accountingMany() {
    return [];
  }
  async logs() {
    return '';
  }
  async close() {}
}
