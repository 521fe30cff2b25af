/**
 * A real tier driver with a window on it: every call goes to the wrapped tier unchanged, and the
 * jobs it was handed are kept so ingress tests can check the `/execute` request the router built
 * (context, token, limits) without the component having to echo it back.
 */
import type { ExecuteResponse } from "../../src/models/mod.ts";
import type { ExecutionJob, TierDriver, TierStats } from "../../src/sandbox/mod.ts";

export class RecordingTier implements TierDriver {
  readonly jobs: ExecutionJob[] = [];
  /** Called with each job as it starts, while its token is live. */
  onExecute?: (job: ExecutionJob) => void;
  constructor(readonly inner: TierDriver) {}
  get name() {
    return this.inner.name;
  }
  get accepts() {
    return this.inner.accepts;
  }
  get reuse() {
    return this.inner.reuse;
  }
  unavailableReason(): string | null {
    return this.inner.unavailableReason();
  }
  execute(job: ExecutionJob): Promise<ExecuteResponse> {
    this.jobs.push(job);
    this.onExecute?.(job);
    return this.inner.execute(job);
  }
  async prepare(appId: string, memoryMb: number): Promise<void> {
    await this.inner.prepare?.(appId, memoryMb);
  }
  stats(): TierStats {
    return this.inner.stats();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
