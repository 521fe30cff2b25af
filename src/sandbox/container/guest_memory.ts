/**
 * How much memory a guest gets in a pool's container. The container's memory cgroup bounds
 * everything in it — the runner, the idle guest runtime and what the guest allocates — so a
 * component's `limits.memoryMb` can only be honoured up to what the container has left after the
 * runner's share; past that the pool's `resourceLimits.memoryLimit` governs, and errors say so.
 */

const MB = 1 << 20;

/** What a container keeps before a guest's own allocations: the runner and a started runtime. */
export const RUNNER_RESERVE_MB = { javascript: 96, python: 48 } as const;

/** The least a guest is given, however small the pool's containers. */
export const MIN_GUEST_MB = 16;

/** A guest's memory budget and which limit set it. */
export interface GuestMemory {
  /** What the runner enforces on the guest (heap, address space, resident growth). */
  memoryMb: number;
  /** What the component asked for. */
  requestedMb: number;
  /** The pool's container memory. */
  containerMb: number;
  /** `pool` when the container is too small for the component's own limit. */
  governedBy: "component" | "pool";
}

/** The guest budget for a component asking `requestedMb` in containers of `containerBytes`. */
export function guestMemory(
  requestedMb: number,
  containerBytes: number,
  language: keyof typeof RUNNER_RESERVE_MB,
): GuestMemory {
  const containerMb = Math.floor(containerBytes / MB);
  const room = Math.max(MIN_GUEST_MB, containerMb - RUNNER_RESERVE_MB[language]);
  const memoryMb = Math.min(requestedMb, room);
  return {
    memoryMb,
    requestedMb,
    containerMb,
    governedBy: memoryMb < requestedMb ? "pool" : "component",
  };
}

/** The error message's account of a memory kill, naming the limit that governed. */
export function memoryKillText(
  m: GuestMemory,
  pool: string,
  governedBy: GuestMemory["governedBy"],
) {
  if (governedBy === "component") return `exceeded its ${m.memoryMb} MB memory limit`;
  return `exceeded the ${m.memoryMb} MB a guest can use in the ${m.containerMb} MB containers of ` +
    `pool ${pool} (the component asks for ${m.requestedMb} MB; the pool's ` +
    `resourceLimits.memoryLimit governs)`;
}
