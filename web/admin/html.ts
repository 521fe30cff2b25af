import { h, type VNode } from "preact";
import htmImport from "htm";

// deno-lint-ignore no-explicit-any -- htm's own signature for `h`
type H = (type: any, props: Record<string, any>, ...children: any[]) => VNode;
type Htm = { bind(h: H): (strings: TemplateStringsArray, ...values: unknown[]) => VNode };

// htm's types are CommonJS-shaped (a namespace with `default`); its ESM build, which esbuild
// bundles, exports the function itself. Either way this is the function.
const htm = ((htmImport as unknown as { default?: Htm }).default ?? htmImport) as unknown as Htm;

/** Preact's `h` through htm: JSX-like templates with no compile step beyond esbuild's. */
export const html: (strings: TemplateStringsArray, ...values: unknown[]) => VNode = htm.bind(h);
