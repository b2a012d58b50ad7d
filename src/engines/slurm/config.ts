/**
 * Configuration of the Slurm engine: one member cluster reached through its slurmrestd, authenticated with a JWT.
 */
import { readFileSync } from 'node:fs';

export interface SlurmEngineConfig {
  /** Base URL of the cluster's slurmrestd, e.g. "http://127.0.0.1:6820". */
  restUrl: string;
  /** The Unix user jobs run as, sent as X-SLURM-USER-NAME (slurmrestd refuses root). */
  user: string;
  /** The JWT itself. Prefer `tokenFile`; never logged. */
  token?: string;
  /** A file holding the JWT (re-read when it changes, so it can be rotated). */
  tokenFile?: string;
  /** Partitions offered to suanli; all partitions when absent. */
  partitions?: string[];
  /**
   * How long after a job ends slurmdbd may still be completing its record (the name and comment come a few
   * seconds after the times). Until then an incomplete record is not reported as accounting. Default 10 s.
   */
  accountingDelayMs?: number;
  /** The cluster's name in suanli, used in error messages; the REST URL when absent. */
  name?: string;
  /** Seconds before a REST call is abandoned. Default 15. */
  timeoutSeconds?: number;
  /** Directory jobs start in and write their output to (on the cluster's nodes). Default /tmp. */
  workDir?: string;
  /**
   * Accelerators per partition that suanli may hand to Slurm's own queue when nothing is free (read by the control
   * plane's snapshot, docs/scheduling.md "Queueing ahead"). Default 0: only what fits now is dispatched.
   */
  queueAheadAccelerators?: number;
  /**
   * Submits the control loop keeps in flight at once to this cluster (its `loop.dispatchConcurrency` when absent):
   * more for a slurmrestd far away, whose round trip would otherwise bound the rate; fewer for a weak one.
   */
  dispatchConcurrency?: number;
}

/** The most submits in flight that a cluster's configuration may ask for. */
export const MAX_DISPATCH_CONCURRENCY = 64;

export const DEFAULT_ACCOUNTING_DELAY_MS = 10_000;
export const DEFAULT_TIMEOUT_SECONDS = 15;
export const DEFAULT_WORK_DIR = '/tmp';

/** Throws on a configuration the engine cannot serve, naming what is wrong (never the token). */
export function validateSlurmEngineConfig(config: SlurmEngineConfig): void {
  const who = `slurm engine${config.name ? ` for cluster ${config.name}` : ''}`;
  if (!config.restUrl) throw new Error(`${who}: restUrl is required`);
  let url: URL;
  try {
    url = new URL(config.restUrl);
  } catch {
    throw new Error(`${who}: restUrl "${config.restUrl}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`${who}: restUrl must be http(s), not ${url.protocol}`);
  }
  if (!config.user) throw new Error(`${who}: user is required`);
  if (config.user === 'root') throw new Error(`${who}: slurmrestd refuses root; configure a job user`);
  if (!config.token && !config.tokenFile) throw new Error(`${who}: a token or a tokenFile is required`);
  if (config.partitions !== undefined && !Array.isArray(config.partitions)) {
    throw new Error(`${who}: partitions must be a list of partition names`);
  }
  const ahead = config.queueAheadAccelerators;
  if (ahead !== undefined && !(typeof ahead === 'number' && Number.isInteger(ahead) && ahead >= 0)) {
    throw new Error(`${who}: queueAheadAccelerators must be a whole number of accelerators, 0 or more`);
  }
  const inFlight = config.dispatchConcurrency;
  if (
    inFlight !== undefined &&
    !(
      typeof inFlight === 'number' &&
      Number.isInteger(inFlight) &&
      inFlight >= 1 &&
      inFlight <= MAX_DISPATCH_CONCURRENCY
    )
  ) {
    throw new Error(`${who}: dispatchConcurrency must be a whole number from 1 to ${MAX_DISPATCH_CONCURRENCY}`);
  }
}

/** Reads the token: from the file when configured (re-read when its content changes), else the stored one. */
export class TokenSource {
  constructor(private readonly config: Pick<SlurmEngineConfig, 'token' | 'tokenFile' | 'name' | 'restUrl'>) {}

  get(): string {
    if (this.config.tokenFile) {
      let text: string;
      try {
        text = readFileSync(this.config.tokenFile, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? String(error);
        throw new Error(
          `slurm cluster ${this.config.name ?? this.config.restUrl}: cannot read tokenFile ${this.config.tokenFile} (${code})`,
        );
      }
      // Accept both a bare token and scontrol's "SLURM_JWT=<token>" line.
      const token = text.trim().replace(/^SLURM_JWT=/, '');
      if (token) return token;
      throw new Error(
        `slurm cluster ${this.config.name ?? this.config.restUrl}: tokenFile ${this.config.tokenFile} is empty`,
      );
    }
    return this.config.token ?? '';
  }
}
