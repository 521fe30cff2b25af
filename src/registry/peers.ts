/** Why an app record changed, as other nodes learn it. */
export type RecordChange = "record" | "deregister";

/**
 * The other Kiln nodes sharing this registry's store (cluster mode). A node that writes an app
 * record tells the others, which reload it and serve what it says; a node that cannot load an
 * app says so about itself instead of writing an app-wide status. `kiln.ts` hands in the
 * cluster's implementation, or `noPeers` on a single node (today's behaviour).
 */
export interface RegistryPeers {
  /** False on a single node: then the registry records its own load failures app-wide. */
  readonly shared: boolean;
  /** Tells the other nodes that `appId`'s record changed (after it is saved). */
  announce(appId: string, change: RecordChange, deleteState?: boolean): Promise<void>;
  /** This node cannot serve `appId` (null: it can again); reported per node. */
  localTrouble(appId: string, reason: string | null): void;
}

/** A single node: nothing to tell, nobody to report to. */
export const noPeers: RegistryPeers = {
  shared: false,
  announce: () => Promise.resolve(),
  localTrouble: () => {},
};
