import { COMMANDS } from "./_catalog.ts";
import { COMMON_OPTIONS } from "./_command.ts";
import { CliError, EXIT, type Io } from "./_output.ts";

/** What a completion script knows of one command: its words and its options. */
interface Spec {
  name: string;
  summary: string;
  words: { name: string; summary: string }[];
  options: string[];
}

async function specs(): Promise<Spec[]> {
  return await Promise.all(COMMANDS.map(async (c) => {
    if (!c.subcommands) {
      return {
        name: c.name,
        summary: c.summary,
        words: (c.words ?? []).map((w) => ({ name: w, summary: "" })),
        options: c.options ?? [],
      };
    }
    const subs = await c.subcommands();
    const options = new Set(Object.keys(COMMON_OPTIONS));
    for (const s of Object.values(subs)) {
      for (const o of Object.keys(s.options ?? {})) options.add(o);
    }
    return {
      name: c.name,
      summary: c.summary,
      words: Object.entries(subs).map(([name, s]) => ({ name, summary: s.summary })),
      options: [...options],
    };
  }));
}

const sq = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

function bash(all: Spec[]): string {
  const cases = all.map((c) =>
    `    ${c.name})
      if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W ${sq(c.options.map((o) => `--${o}`).join(" "))} -- "$cur"))
      elif [[ $COMP_CWORD -eq 2 ]]; then
        COMPREPLY=($(compgen -W ${sq(c.words.map((w) => w.name).join(" "))} -- "$cur"))
      fi ;;`
  ).join("\n");
  return `# bash completion for kiln: source it, or save it as
# ~/.local/share/bash-completion/completions/kiln
_kiln() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  COMPREPLY=()
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W ${sq(all.map((c) => c.name).join(" "))} -- "$cur"))
    return
  fi
  case \${COMP_WORDS[1]} in
${cases}
  esac
}
complete -o default -F _kiln kiln
`;
}

function zsh(all: Spec[]): string {
  const esc = (s: string) => s.replaceAll(":", "\\:").replaceAll("'", "'\\''");
  const top = all.map((c) => `'${c.name}:${esc(c.summary)}'`).join(" ");
  const cases = all.map((c) =>
    `    ${c.name})
      if [[ $PREFIX == -* ]]; then
        compadd -- ${c.options.map((o) => `--${o}`).join(" ")}
      elif (( CURRENT == 3 )) && (( ${c.words.length} )); then
        local -a subs=(${c.words.map((w) => `'${w.name}:${esc(w.summary)}'`).join(" ")})
        _describe 'command' subs
      else
        _files
      fi ;;`
  ).join("\n");
  return `#compdef kiln
# zsh completion for kiln: save it as _kiln in a directory on $fpath
_kiln() {
  if (( CURRENT == 2 )); then
    local -a cmds=(${top})
    _describe 'command' cmds
    return
  fi
  case $words[2] in
${cases}
  esac
}
_kiln "$@"
`;
}

function fish(all: Spec[]): string {
  const names = all.map((c) => c.name).join(" ");
  const lines = [
    "# fish completion for kiln: save it as ~/.config/fish/completions/kiln.fish",
    `complete -c kiln -f -n "not __fish_seen_subcommand_from ${names}" -a "${names}"`,
  ];
  for (const c of all) {
    lines.push(
      `complete -c kiln -f -n "not __fish_seen_subcommand_from ${names}" -a ${c.name} -d ${
        sq(c.summary)
      }`,
    );
    const words = c.words.map((w) => w.name).join(" ");
    for (const w of c.words) {
      lines.push(
        `complete -c kiln -f -n "__fish_seen_subcommand_from ${c.name}; and not __fish_seen_subcommand_from ${words}" -a ${w.name}${
          w.summary ? ` -d ${sq(w.summary)}` : ""
        }`,
      );
    }
    for (const o of c.options) {
      lines.push(`complete -c kiln -n "__fish_seen_subcommand_from ${c.name}" -l ${o}`);
    }
  }
  return lines.join("\n") + "\n";
}

/** `kiln completions bash|zsh|fish`: prints the completion script for that shell. */
export async function completionsCommand(args: string[], io: Io): Promise<number> {
  const [shell, ...rest] = args;
  if (shell === "--help" || shell === "-h") {
    io.out("Usage: kiln completions bash|zsh|fish\n\nPrints a completion script to stdout.");
    return EXIT.OK;
  }
  const shells: Record<string, (all: Spec[]) => string> = { bash, zsh, fish };
  const render = shell !== undefined && Object.hasOwn(shells, shell) ? shells[shell] : undefined;
  if (!render || rest.length) {
    throw new CliError("usage: kiln completions bash|zsh|fish", EXIT.USAGE);
  }
  io.out(render(await specs()).trimEnd());
  return EXIT.OK;
}
