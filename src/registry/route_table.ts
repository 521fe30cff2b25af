import { RegExpRouter } from "hono/router/reg-exp-router";
import { TrieRouter } from "hono/router/trie-router";
import { SmartRouter } from "hono/router/smart-router";
import type { Router } from "hono/router";
import type { ComponentDefinition } from "../models/mod.ts";

/** A route hit: the component and the values of its `:params`. */
export interface RouteMatch {
  component: ComponentDefinition;
  pathParameters: Record<string, string>;
  routePattern: string;
}

interface Target {
  component: ComponentDefinition;
  pattern: string;
}

/**
 * One app's `routeMatcher`s compiled with Hono's own router (the fastest matcher that handles
 * the pattern set), so `/api/users/:id` means exactly what it means in Hono.
 */
export class RouteTable {
  readonly #router: Router<Target>;
  readonly size: number;

  constructor(components: readonly ComponentDefinition[]) {
    this.#router = new SmartRouter<Target>({
      routers: [new RegExpRouter(), new TrieRouter()],
    });
    let size = 0;
    for (const component of components) {
      const rm = component.routeMatcher;
      if (!rm) continue;
      for (const method of rm.methods) {
        this.#router.add(method, rm.pathPattern, { component, pattern: rm.pathPattern });
        size += 1;
      }
    }
    this.size = size;
    // Hono's routers compile lazily on the first match; compile now, when the snapshot is built,
    // so no request pays for it.
    if (size > 0) this.#router.match("GET", "/");
  }

  /** The first component whose route matches, or null. */
  match(method: string, path: string): RouteMatch | null {
    if (this.size === 0) return null;
    const [hits, stash] = this.#router.match(method.toUpperCase(), path) as [
      [Target, Record<string, string | number>][],
      string[] | undefined,
    ];
    const first = hits[0];
    if (!first) return null;
    const [target, raw] = first;
    const pathParameters: Record<string, string> = {};
    for (const [name, value] of Object.entries(raw)) {
      const v = stash ? stash[value as number] : value as string;
      if (v !== undefined) pathParameters[name] = safeDecode(v);
    }
    return { component: target.component, pathParameters, routePattern: target.pattern };
  }
}

function safeDecode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}
