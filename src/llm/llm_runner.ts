import { parse as parseYaml } from "yaml";
import { KilnError, LIMITS, type Logger, quote, silentLogger } from "../core/mod.ts";
import {
  type ComponentDefinition,
  type ExecuteResponse,
  type ExecutionContext,
  PromptTemplate,
  type RequestData,
} from "../models/mod.ts";
import type { ExecutionHost } from "../sandbox/mod.ts";
import type { StateManager } from "../state/mod.ts";
import { renderPrompt, type TemplateRenderer } from "../template/mod.ts";
import { parseOutput } from "./output_parsing.ts";
import { formatHint } from "./prompt_template.ts";
import { validatorFor } from "../schema/mod.ts";
import { type LlmTimers, systemTimers } from "./timers.ts";
import { requestPayload, templateVariables } from "./_request_input.ts";

/** What the runner reads definitions through and keeps time with. */
export interface LlmRunnerOptions {
  state: Pick<StateManager, "getDefinitionFileContent">;
  /**
   * Where prompt templates render: Kiln passes its per-app renderer processes, so a template
   * that loops or allocates costs only its own app; code already in a sandbox renders locally.
   */
  renderer: TemplateRenderer;
  timers?: LlmTimers;
  logger?: Logger;
}

/** `taskDetails` of an llm component: the prompt, and optionally the name the input binds to. */
interface LlmTask {
  promptTemplate: string;
  inputVariable?: string;
}

const TOOL = "core.llm.generate";

/**
 * Runs `handlerType: llm` components: loads the component's prompt template through the state
 * manager at the revision the app serves, renders it with the request's input, calls
 * `core.llm.generate` through the execution host (so the tool registry authorizes and meters
 * the call as this execution), parses and checks the answer, and answers the `/execute`
 * contract. Application failures (a missing variable, an answer that breaks the schema, the
 * deadline) come back as `resultType: "error"`.
 */
export class LlmRunner {
  readonly #state: LlmRunnerOptions["state"];
  readonly #renderer: TemplateRenderer;
  readonly #timers: LlmTimers;
  readonly #log: Logger;
  readonly #files = new Map<string, Promise<unknown>>();

  constructor(opts: LlmRunnerOptions) {
    this.#state = opts.state;
    this.#renderer = opts.renderer;
    this.#timers = opts.timers ?? systemTimers;
    this.#log = (opts.logger ?? silentLogger).with({ component: "llm-runner" });
  }

  /** Runs one execution of `component`; throws only for failures of Kiln itself. */
  async run(
    component: ComponentDefinition,
    requestData: RequestData,
    context: ExecutionContext,
    host: ExecutionHost,
    opts: { requestId?: string } = {},
  ): Promise<ExecuteResponse> {
    const started = performance.now();
    const requestId = opts.requestId ?? crypto.randomUUID();
    const calls: ExecuteResponse["metrics"]["mcp_calls"] = [];
    const answer = (resultType: "generic" | "error", data: unknown): ExecuteResponse => ({
      requestId,
      resultType,
      data,
      metrics: { execution_time_ms: round(performance.now() - started), mcp_calls: calls },
    });
    try {
      const task = component.taskDetails as unknown as LlmTask;
      const { appId } = context;
      const revision = context.applicationInfo.revision;
      const name = task.promptTemplate;
      const template = await this.loadTemplate(appId, revision, name);
      const schema = await this.loadSchema(appId, revision, template.outputSchema);
      const componentSchema = await this.loadSchema(appId, revision, component.outputSchema);
      // The render may take what is left of the component's deadline, capped by `template.ms`.
      const waitMs = Math.max(1, Date.parse(context.deadline) - this.#timers.now());
      const timeoutMs = Math.min(LIMITS["template.ms"], waitMs);
      const job = { appId, name, template, timeoutMs, waitMs };
      const messages = await renderPrompt(this.#renderer, job, {
        variables: templateVariables(requestPayload(requestData), task.inputVariable),
        context: {
          appId,
          componentId: component.componentId,
          configuration: context.configuration,
          applicationInfo: context.applicationInfo,
        },
      });
      const hint = formatHint(template.outputFormat);
      if (hint && messages[0]?.role === "system") messages[0].content += `\n\n${hint}`;
      else if (hint) messages.unshift({ role: "system", content: hint });
      const jsonSchema = template.outputFormat === "json" ? schema ?? componentSchema ?? {} : null;
      const callStarted = performance.now();
      const result = await this.#beforeDeadline(
        host.callTool(TOOL, {
          messages,
          ...(template.model ? { model: template.model } : {}),
          ...(Object.keys(template.parameters).length ? { parameters: template.parameters } : {}),
          ...(jsonSchema ? { outputSchema: jsonSchema } : {}),
        }),
        context.deadline,
      ) as {
        completion: unknown;
        usage: { promptTokens: number; completionTokens: number };
        provenance?: { kind: string };
      };
      calls.push({
        tool: TOOL,
        count: 1,
        total_duration_ms: round(performance.now() - callStarted),
        token_usage: {
          promptTokens: result.usage.promptTokens,
          completionTokens: result.usage.completionTokens,
        },
        provenance: result.provenance?.kind === "recording" ? "recording" : "live",
      });
      const scope = { appId, revision };
      let value = parseOutput(
        template.outputFormat,
        result.completion,
        jsonSchema ? undefined : schema,
        scope,
      );
      if (componentSchema && componentSchema !== jsonSchema) {
        value = parseOutput("json", value, componentSchema, scope);
      }
      this.#log.info("llm component answered", {
        appId,
        componentId: component.componentId,
        requestId,
        provenance: result.provenance?.kind ?? "live",
      });
      return answer("generic", value);
    } catch (err) {
      if (!(err instanceof KilnError)) throw err;
      this.#log.info("llm component failed", {
        appId: context.appId,
        componentId: component.componentId,
        code: err.code,
      });
      return answer("error", {
        code: err.code,
        message: err.message,
        ...(err.details === undefined ? {} : { details: err.details }),
      });
    }
  }

  /** A prompt template at a revision, parsed and checked once (the JIT's spec reads it too). */
  async loadTemplate(appId: string, revision: string, name: string): Promise<PromptTemplate> {
    const path = promptPath(name);
    const value = await this.#file(appId, revision, path, (text) => parseYaml(text));
    const parsed = PromptTemplate.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new KilnError(
        "PROMPT_INVALID",
        `state/${path}: ${issue.path.join(".") || "(root)"}: ${issue.message}`,
      );
    }
    return parsed.data;
  }

  /** A schema given inline or as a path under `state/`, compiled once to fail early. */
  async loadSchema(
    appId: string,
    revision: string,
    ref: string | Record<string, unknown> | undefined,
  ): Promise<Record<string, unknown> | undefined> {
    if (ref === undefined || typeof ref === "object") return ref;
    const schema = await this.#file(appId, revision, ref, (text) => JSON.parse(text));
    try {
      validatorFor(appId, revision, schema as Record<string, unknown>);
    } catch (err) {
      // The app's own schema is broken: the component's fault, never the caller's.
      const cause = err instanceof KilnError ? err : null;
      throw new KilnError(
        "PROMPT_INVALID",
        `state/${ref} cannot be used: ${cause?.message ?? String(err)}`,
        {
          path: ref,
          ...(cause?.details && typeof cause.details === "object" ? cause.details : {}),
        },
      );
    }
    return schema as Record<string, unknown>;
  }

  /** A definition file at a revision, parsed once (revisions never change). */
  #file(appId: string, revision: string, path: string, parse: (text: string) => unknown) {
    const key = `${appId}\0${revision}\0${path}`;
    let loading = this.#files.get(key);
    if (!loading) {
      loading = this.#state.getDefinitionFileContent(appId, path, revision).then((file) => {
        if (!file.found) {
          throw new KilnError("PROMPT_INVALID", `app ${quote(appId)} has no state/${path}`);
        }
        try {
          return parse(file.content ?? "");
        } catch (err) {
          throw new KilnError(
            "PROMPT_INVALID",
            `state/${path} does not parse: ${(err as Error).message}`,
          );
        }
      });
      loading.catch(() => this.#files.delete(key));
      if (this.#files.size > 1024) this.#files.delete(this.#files.keys().next().value!);
      this.#files.set(key, loading);
    }
    return loading;
  }

  #beforeDeadline<T>(work: Promise<T>, deadline: string): Promise<T> {
    const left = Date.parse(deadline) - this.#timers.now();
    return new Promise<T>((resolve, reject) => {
      const id = this.#timers.setTimeout(() => {
        reject(
          new KilnError(
            "EXECUTION_TIMEOUT",
            `the LLM call did not finish before ${quote(deadline)}`,
            {
              reason: "timeout",
            },
          ),
        );
      }, Math.max(0, left));
      work.then(resolve, reject).finally(() => this.#timers.clearTimeout(id));
    });
  }
}

/** `classify_ticket` → `prompts/classify_ticket.yaml`; a path with a folder is taken as given. */
export function promptPath(name: string): string {
  return name.includes("/") ? name : `prompts/${name.replace(/\.ya?ml$/, "")}.yaml`;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
