/** The isolate tier: trusted JavaScript in permissionless, heap-limited host processes. */
export { IsolateTier } from "./isolate_tier.ts";
