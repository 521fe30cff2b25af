/** One container pool: its spec, counters and containers (the container tier). */
export interface PoolDetails {
  appId: string;
  poolName: string;
  image: string;
  minInstances: number;
  maxInstances: number;
  stats: Record<string, number>;
  containers: { name: string; state: "idle" | "busy"; ageMs: number; executions: number }[];
}

/** One app's isolate host process (the isolate tier). */
export interface IsolateHostDetails {
  key: string;
  alive: boolean;
  pid: number | null;
  heapMb: number;
  workers: number;
  busy: number;
  maxWorkers: number;
  /** CPU time the host process has used so far, all its threads (null where unreadable). */
  cpuMs: number | null;
  /** The CPU group its app's hosts share (ADR 0039), or null where there is none. */
  cpuGroup: string | null;
}

/** One app's component host process (the wasm tier's WASI components). */
export interface ComponentHostDetails {
  appId: string;
  alive: boolean;
  pid: number | null;
  /** Component workers in it, and how many of them run an execution. */
  workers: number;
  busy: number;
  /** CPU time the host process has used so far, all its threads (null where unreadable). */
  cpuMs: number | null;
  /** The CPU group its app's hosts share (ADR 0039), or null where there is none. */
  cpuGroup: string | null;
}

/** What a tier shows of its sandboxes, as plain data; each tier fills what it has. */
export interface TierDetails {
  pools?: PoolDetails[];
  isolateHosts?: IsolateHostDetails[];
  componentHosts?: ComponentHostDetails[];
}
