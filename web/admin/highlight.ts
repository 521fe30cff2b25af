import hljs from "highlight.js/lib/core";
import yaml from "highlight.js/lib/languages/yaml";
import json from "highlight.js/lib/languages/json";
import typescript from "highlight.js/lib/languages/typescript";
import javascript from "highlight.js/lib/languages/javascript";
import python from "highlight.js/lib/languages/python";

hljs.registerLanguage("yaml", yaml);
hljs.registerLanguage("json", json);
hljs.registerLanguage("typescript", typescript);
hljs.registerLanguage("javascript", javascript);
hljs.registerLanguage("python", python);

const BY_EXT: Record<string, string> = {
  yaml: "yaml",
  yml: "yaml",
  json: "json",
  ts: "typescript",
  mts: "typescript",
  js: "javascript",
  mjs: "javascript",
  py: "python",
};

/**
 * Highlighted HTML for a definition file, by extension. highlight.js escapes the text it is
 * given, so the answer is safe to set as innerHTML; unknown kinds come back escaped and plain.
 */
export function highlight(path: string, text: string): string {
  const lang = BY_EXT[path.split(".").pop()?.toLowerCase() ?? ""];
  if (lang && text.length < 400_000) return hljs.highlight(text, { language: lang }).value;
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
