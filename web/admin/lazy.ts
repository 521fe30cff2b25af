import type uPlotType from "uplot";
import { useEffect, useState } from "preact/hooks";

/**
 * The heavy libraries (uPlot, highlight.js) are separate bundles fetched on the pages that use
 * them, so every other page parses a third of the code. Their URLs carry this bundle's content
 * hash (its own `?v=`), so all three are cached together and change together.
 */
function assetUrl(name: string): string {
  const self = new URL(import.meta.url);
  return new URL(`${name}${self.search}`, self).href;
}

let uplot: Promise<typeof uPlotType> | null = null;
let hljs: Promise<(path: string, text: string) => string> | null = null;

/** uPlot's class, loaded once. */
export function loadUplot(): Promise<typeof uPlotType> {
  uplot ??= import(assetUrl("uplot.js")).then((m) => m.uPlot as typeof uPlotType);
  return uplot;
}

/** `highlight(path, text)` from the highlight.js bundle, loaded once. */
export function loadHighlight(): Promise<(path: string, text: string) => string> {
  hljs ??= import(assetUrl("highlight.js")).then((m) =>
    m.highlight as (path: string, text: string) => string
  );
  return hljs;
}

/** A lazily loaded module as state: undefined until it arrives (then it re-renders). */
export function useLazy<T>(load: () => Promise<T>): T | undefined {
  const [mod, setMod] = useState<{ value: T } | undefined>(undefined);
  useEffect(() => {
    let live = true;
    load().then((value) => live && setMod({ value }));
    return () => void (live = false);
  }, []);
  return mod?.value;
}
