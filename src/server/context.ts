/** What every route needs, passed explicitly rather than through globals. */
import type { Programme } from '../core/money/programmes/types.ts';
import type { PolicyConfig } from '../core/scheduler/index.ts';
import type { Store } from '../store/index.ts';
import type { EngineRegistry } from './engines.ts';
import type { Metrics } from './metrics.ts';

export interface AppContext {
  store: Store;
  engines: EngineRegistry;
  metrics: Metrics;
  clock: () => Date;
  version: string;
  /** The programmes in force (the shipped programmes/ folder); loaded on first use when not given. */
  programmes?: readonly Programme[];
  /** The scheduling policy in force (the configuration file's `policy:` over DEFAULT_POLICY); default DEFAULT_POLICY. */
  policy?: PolicyConfig;
}
