/**
 * The few Docker Engine operations the container tier needs, behind an interface so the pool logic
 * does not depend on one client library (ADR 0006). `DockerodeApi` is the real implementation.
 */

/** What a pool asks Docker to create; the implementation maps it to the Engine API. */
export interface ContainerSpec {
  name: string;
  image: string;
  labels: Record<string, string>;
  env: string[];
  /** `uid:gid` the container's processes run as. */
  user: string;
  /** Host directory bind-mounted at `/kiln` (the two Unix sockets live there). */
  socketDir: string;
  /** Named volumes: `name:target[:ro]`. */
  volumes: string[];
  memoryBytes: number;
  nanoCpus: number;
  pidsLimit: number;
  /** Size of the `/tmp` tmpfs, in bytes (the only writable place besides `/kiln`). */
  tmpfsBytes: number;
  /** Network only when the app grants egress; otherwise `none`. */
  network: boolean;
  cmd?: string[];
}

/** The state of one container, as far as the tier cares. */
export interface ContainerState {
  running: boolean;
  exitCode: number;
  oomKilled: boolean;
  status: string;
  error: string;
}

/** One container Docker lists. */
export interface ContainerSummary {
  id: string;
  name: string;
  labels: Record<string, string>;
  state: string;
}

export interface DockerApi {
  /** Resolves when the daemon answers; rejects with why not. */
  ping(): Promise<void>;
  imageExists(image: string): Promise<boolean>;
  /** The id of an image, or null when it is not there. */
  imageId(image: string): Promise<string | null>;
  /** The labels of an image, or null when it is not there. */
  imageLabels(image: string): Promise<Record<string, string> | null>;
  /** Creates and starts the container; resolves to its id. */
  run(spec: ContainerSpec): Promise<string>;
  inspect(id: string): Promise<ContainerState | null>;
  /** Force-removes the container with its anonymous volumes; a missing one is not an error. */
  remove(id: string): Promise<void>;
  /** Containers (any state) carrying every label given. */
  list(labels: Record<string, string>): Promise<ContainerSummary[]>;
  /** Waits for a container to stop; resolves to its exit code. */
  wait(id: string): Promise<number>;
  /** Builds `tag` from a tar build context, reporting each output line. */
  build(context: Uint8Array, tag: string, onLine: (line: string) => void): Promise<void>;
  /** Removes an image; without `force`, one in use is left alone (rejects). */
  removeImage(image: string, opts?: { force?: boolean }): Promise<void>;
}

/** Host-side labels every container Kiln starts carries. */
export const LABEL_MANAGED = "kiln.managed";
export const LABEL_INSTANCE = "kiln.instance";
