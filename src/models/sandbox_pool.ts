import { z } from "zod";

/** A volume a pool's containers mount; sources are named volumes, never host paths chosen by apps. */
export const VolumeMount = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/),
  target: z.string().startsWith("/"),
  readOnly: z.boolean().default(false),
});

/** One warm pool of sandbox containers for an app (contract §2 SandboxPoolConfig). */
export const SandboxPool = z.object({
  poolName: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/),
  dockerImage: z.string().min(1),
  minInstances: z.number().int().min(0).max(64).default(0),
  maxInstances: z.number().int().min(1).max(256).default(4),
  resourceLimits: z.object({
    cpuLimit: z.number().positive().max(64).default(1),
    memoryLimit: z.union([z.number().int().positive(), z.string().regex(/^\d+[kmgKMG]?$/)])
      .default("256m"),
  }).prefault({}),
  volumeMounts: z.array(VolumeMount).default([]),
  /** Network access for the pool's containers; without it they have none. */
  egress: z.boolean().default(false),
}).refine((p) => p.minInstances <= p.maxInstances, {
  message: "minInstances must not exceed maxInstances",
  path: ["minInstances"],
});
export type SandboxPool = z.infer<typeof SandboxPool>;

/** The pools an app asks for. */
export const SandboxPoolConfig = z.object({ pools: z.array(SandboxPool).default([]) });
export type SandboxPoolConfig = z.infer<typeof SandboxPoolConfig>;
