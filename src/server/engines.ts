/** Creates and caches one Engine per member cluster from the cluster's stored configuration. */
import { join } from 'node:path';
import type { Engine } from '../engines/engine.ts';
import { createLocalEngine } from '../engines/local/engine.ts';
import type { LocalEngineConfig } from '../engines/local/engine.ts';
import { createKubernetesEngine } from '../engines/kubernetes/engine.ts';
import type { KubernetesEngineConfig } from '../engines/kubernetes/engine.ts';
import { createSlurmEngine } from '../engines/slurm/engine.ts';
import type { SlurmEngineConfig } from '../engines/slurm/engine.ts';
import type { ClusterRecord } from '../store/federation.ts';

export class EngineRegistry {
  private readonly engines = new Map<string, Engine>();

  /** `warn`: where engines' warnings go (the server's log), for what they do beside the calls they answer. */
  constructor(
    private readonly dataDir: string,
    private readonly options: { warn?: (message: string) => void } = {},
  ) {}

  /** The engine for a cluster; throws with a clear reason when the cluster's engine cannot be built here. */
  for(cluster: ClusterRecord): Engine {
    const cached = this.engines.get(cluster.id);
    if (cached) return cached;
    const engine = this.create(cluster);
    this.engines.set(cluster.id, engine);
    return engine;
  }

  /** Uses `engine` for a cluster instead of building one from its configuration (embedding, tests). */
  use(clusterId: string, engine: Engine): void {
    this.engines.set(clusterId, engine);
  }

  /** Builds an engine without caching it: for onboarding, which probes a cluster before registering it. */
  create(cluster: Pick<ClusterRecord, 'id' | 'name' | 'engine' | 'config'>): Engine {
    switch (cluster.engine) {
      case 'local': {
        const config = cluster.config as unknown as Partial<LocalEngineConfig>;
        return createLocalEngine({
          ...config,
          pools: config.pools ?? [],
          workDir: config.workDir ?? join(this.dataDir, 'engines', cluster.id),
        } as LocalEngineConfig);
      }
      case 'slurm': {
        // restUrl, user, token or tokenFile, partitions, ... as stored; the cluster's name labels its errors.
        const config = cluster.config as unknown as SlurmEngineConfig;
        return createSlurmEngine({ ...config, name: config.name ?? cluster.name });
      }
      case 'kubernetes': {
        // apiUrl, namespace, tokenFile, caFile, pools, ... as stored (docs/kubernetes.md).
        const config = cluster.config as unknown as KubernetesEngineConfig;
        return createKubernetesEngine(
          { ...config, name: config.name ?? cluster.name },
          this.options.warn ? { warn: this.options.warn } : {},
        );
      }
      default:
        throw new Error(`cluster ${cluster.name}: the ${cluster.engine} engine is not part of this build yet`);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.engines.values()].map((e) => e.close()));
    this.engines.clear();
  }
}
