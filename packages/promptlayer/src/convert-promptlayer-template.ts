import { AIMessage, type BaseMessage, FunctionMessage, ToolMessage } from "@langchain/core/messages";
import {
  AIMessagePromptTemplate,
  BaseMessageStringPromptTemplate,
  type BaseStringPromptTemplate,
  ChatPromptTemplate,
  HumanMessagePromptTemplate,
  MessagesPlaceholder,
  PromptTemplate,
  SystemMessagePromptTemplate,
} from "@langchain/core/prompts";
import { ObservabilityError } from "@langchain-observability/core";
import type {
  PromptLayerContentPart,
  PromptLayerPromptTemplate,
  PromptLayerTemplateFormat,
  PromptLayerTemplateMessage,
  PromptLayerToolCall,
} from "./promptlayer-api";

/** What `templates.get(name, { langchain: true })` returns. */
export type PromptLayerLangChainTemplate = PromptTemplate | ChatPromptTemplate;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Rewrites a PromptLayer template text as a LangChain f-string template that renders the same text.
 *
 * - `f-string` (Python `str.format` syntax): kept as is; only plain `{name}` fields are accepted, and
 *   `{{` / `}}` stay literal braces.
 * - `jinja2`: only `{{ name }}` substitutions are supported. Each becomes `{name}` and every literal brace
 *   is doubled, so nothing else in the text can turn into a variable. Statements (`{% … %}`), comments
 *   (`{# … #}`), filters, attribute access and whitespace control are refused with a clear error
 *   (fetch such a template with `inputVariables` so PromptLayer renders it, or with `langchain: false`).
 */
export function toFStringTemplate(text: string, format: PromptLayerTemplateFormat, where: string): string {
  if (format === "jinja2") return jinja2ToFString(text, where);
  if (format !== "f-string") {
    throw templateError(
      `${where} uses template_format ${JSON.stringify(format)}; only "f-string" and "jinja2" are supported`,
    );
  }
  checkFString(text, where);
  return text;
}

function jinja2ToFString(template: string, where: string): string {
  // As Jinja2's default environment: line endings become "\n", and one trailing newline is dropped
  // (newline_sequence="\n", keep_trailing_newline=False).
  const normalized = template.replace(/\r\n?/g, "\n");
  const text = normalized.endsWith("\n") ? normalized.slice(0, -1) : normalized;
  let output = "";
  let position = 0;
  while (position < text.length) {
    const open = text.indexOf("{", position);
    if (open < 0) {
      output += escapeBraces(text.slice(position));
      break;
    }
    output += escapeBraces(text.slice(position, open));
    const next = text[open + 1];
    if (next === "%" || next === "#") {
      throw templateError(
        `${where} uses Jinja2 ${next === "%" ? "statements ({% … %})" : "comments ({# … #})"}; only {{ variable }} substitution is supported with langchain: true`,
      );
    }
    if (next !== "{") {
      output += "{{";
      position = open + 1;
      continue;
    }
    const close = text.indexOf("}}", open + 2);
    if (close < 0) throw templateError(`${where} has an unclosed Jinja2 expression "{{"`);
    const expression = text.slice(open + 2, close).trim();
    if (!IDENTIFIER.test(expression)) {
      throw templateError(
        `${where} uses the Jinja2 expression {{ ${expression} }}; only {{ variable }} substitution of a plain name is supported with langchain: true`,
      );
    }
    output += `{${expression}}`;
    position = close + 2;
  }
  return output;
}

function escapeBraces(text: string): string {
  return text.replace(/[{}]/g, (brace) => brace + brace);
}

/** Validates Python `str.format` syntax the way LangChain parses it, accepting plain names only. */
function checkFString(text: string, where: string): void {
  let position = 0;
  while (position < text.length) {
    const character = text[position];
    const next = text[position + 1];
    if ((character === "{" && next === "{") || (character === "}" && next === "}")) {
      position += 2;
      continue;
    }
    if (character === "}") throw templateError(`${where} has a single "}" (write "}}" for a literal brace)`);
    if (character === "{") {
      const close = text.indexOf("}", position + 1);
      if (close < 0) throw templateError(`${where} has an unclosed "{" (write "{{" for a literal brace)`);
      const field = text.slice(position + 1, close);
      if (!IDENTIFIER.test(field)) {
        throw templateError(
          `${where} uses the f-string field {${field}}; only plain {name} fields are supported with langchain: true`,
        );
      }
      position = close + 1;
      continue;
    }
    position++;
  }
}

function templateError(message: string): ObservabilityError {
  return new ObservabilityError({ message: `PromptLayer template ${message}.` });
}

/** Converts PromptLayer's `prompt_template` document to a LangChain prompt that formats the same text. */
export function convertPromptLayerTemplate(
  promptName: string,
  template: PromptLayerPromptTemplate | undefined,
): PromptLayerLangChainTemplate {
  const where = JSON.stringify(promptName);
  if (!template || typeof template !== "object") {
    throw templateError(`${where} was answered without a prompt_template`);
  }
  if (template.type === "completion") {
    const format = template.template_format ?? "f-string";
    const text = textOf(template.content, `${where}`);
    return PromptTemplate.fromTemplate(toFStringTemplate(text, format, where), {
      templateFormat: "f-string",
    });
  }
  if (template.type === "chat") {
    if (!Array.isArray(template.messages))
      throw templateError(`${where} is a chat template without messages`);
    return ChatPromptTemplate.fromMessages(
      template.messages.map((message, index) => convertMessage(message, `${where} message ${index}`)),
    );
  }
  throw templateError(
    `${where} has type ${JSON.stringify((template as { type?: unknown }).type)}; expected "completion" or "chat"`,
  );
}

type MessageTemplate =
  | BaseMessageStringPromptTemplate
  | HumanMessagePromptTemplate
  | AIMessagePromptTemplate
  | SystemMessagePromptTemplate
  | MessagesPlaceholder;

function convertMessage(message: PromptLayerTemplateMessage, where: string): MessageTemplate {
  const format = message.template_format ?? "f-string";
  switch (message.role) {
    case "placeholder": {
      if (typeof message.name !== "string" || message.name === "") {
        throw templateError(`${where} is a placeholder without a name`);
      }
      return new MessagesPlaceholder(message.name);
    }
    case "system":
    case "developer":
      return SystemMessagePromptTemplate.fromTemplate(contentTemplate(message, format, where), {
        templateFormat: "f-string",
      });
    case "user":
      return HumanMessagePromptTemplate.fromTemplate(contentTemplate(message, format, where), {
        templateFormat: "f-string",
      });
    case "assistant": {
      if ((message.tool_calls && message.tool_calls.length > 0) || message.function_call) {
        return new PromptLayerAIToolCallMessagePromptTemplate({
          prompt: textPrompt(message, format, where),
          toolCalls: message.tool_calls ?? [],
          functionCall: message.function_call,
        });
      }
      return AIMessagePromptTemplate.fromTemplate(contentTemplate(message, format, where), {
        templateFormat: "f-string",
      });
    }
    case "tool":
      return new PromptLayerToolMessagePromptTemplate({
        prompt: textPrompt(message, format, where),
        toolCallId: message.tool_call_id ?? "",
        ...(message.name === undefined ? {} : { toolName: message.name }),
      });
    case "function":
      return new PromptLayerFunctionMessagePromptTemplate({
        prompt: textPrompt(message, format, where),
        functionName: message.name ?? "",
      });
    default:
      throw templateError(
        `${where} has role ${JSON.stringify(message.role)}, which has no LangChain message type`,
      );
  }
}

/** Text of the content parts, joined; only text parts are allowed here. */
function textOf(content: PromptLayerContentPart[] | string | undefined, where: string): string {
  if (content === undefined || content === null) return "";
  if (typeof content === "string") return content;
  let text = "";
  for (const part of content) {
    if (part.type === "text" && typeof part.text === "string") text += part.text;
    else if (part.type !== "thinking") {
      throw templateError(
        `${where} has a ${JSON.stringify(part.type)} content part; only text is supported here`,
      );
    }
  }
  return text;
}

/** A message's content as a LangChain message template: a string, or text and image parts. */
function contentTemplate(
  message: PromptLayerTemplateMessage,
  format: PromptLayerTemplateFormat,
  where: string,
): string | Array<Record<string, unknown>> {
  const content = message.content;
  if (content === undefined || content === null) return "";
  if (typeof content === "string") return toFStringTemplate(content, format, where);
  const parts = content.filter((part) => part.type !== "thinking");
  if (parts.every((part) => part.type === "text") && parts.length <= 1) {
    return toFStringTemplate(textOf(parts, where), format, where);
  }
  return parts.map((part) => {
    if (part.type === "text" && typeof part.text === "string") {
      return { type: "text", text: toFStringTemplate(part.text, format, where) };
    }
    if (part.type === "image_url") {
      const image = part.image_url as { url?: unknown } | string | undefined;
      const url = typeof image === "string" ? image : image?.url;
      if (typeof url === "string") {
        return { type: "image_url", image_url: { url: toFStringTemplate(url, format, where) } };
      }
    }
    throw templateError(
      `${where} has a ${JSON.stringify(part.type)} content part; only text and image_url parts are supported with langchain: true`,
    );
  });
}

function textPrompt(message: PromptLayerTemplateMessage, format: PromptLayerTemplateFormat, where: string) {
  return PromptTemplate.fromTemplate(toFStringTemplate(textOf(message.content, where), format, where), {
    templateFormat: "f-string",
  });
}

function parseArguments(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : { value: parsed };
  } catch {
    return { arguments: text };
  }
}

/** An assistant message that asked for tool calls; its text is rendered, its tool calls kept. */
class PromptLayerAIToolCallMessagePromptTemplate extends BaseMessageStringPromptTemplate {
  static override lc_name() {
    return "PromptLayerAIToolCallMessagePromptTemplate";
  }
  toolCalls: PromptLayerToolCall[];
  functionCall: { name: string; arguments: string } | undefined;

  constructor(fields: {
    prompt: BaseStringPromptTemplate;
    toolCalls: PromptLayerToolCall[];
    functionCall: { name: string; arguments: string } | undefined;
  }) {
    super({ prompt: fields.prompt });
    this.toolCalls = fields.toolCalls;
    this.functionCall = fields.functionCall;
  }

  async format(values: Record<string, unknown>): Promise<BaseMessage> {
    return new AIMessage({
      content: await this.prompt.format(values),
      tool_calls: this.toolCalls.map((call) => ({
        ...(call.id === undefined ? {} : { id: call.id }),
        name: call.function.name,
        args: parseArguments(call.function.arguments),
        type: "tool_call" as const,
      })),
      ...(this.functionCall ? { additional_kwargs: { function_call: this.functionCall } } : {}),
    });
  }
}

/** A tool result message with its text rendered. */
class PromptLayerToolMessagePromptTemplate extends BaseMessageStringPromptTemplate {
  static override lc_name() {
    return "PromptLayerToolMessagePromptTemplate";
  }
  toolCallId: string;
  toolName: string | undefined;

  constructor(fields: { prompt: BaseStringPromptTemplate; toolCallId: string; toolName?: string }) {
    super({ prompt: fields.prompt });
    this.toolCallId = fields.toolCallId;
    this.toolName = fields.toolName;
  }

  async format(values: Record<string, unknown>): Promise<BaseMessage> {
    return new ToolMessage({
      content: await this.prompt.format(values),
      tool_call_id: this.toolCallId,
      ...(this.toolName === undefined ? {} : { name: this.toolName }),
    });
  }
}

/** A legacy function result message with its text rendered. */
class PromptLayerFunctionMessagePromptTemplate extends BaseMessageStringPromptTemplate {
  static override lc_name() {
    return "PromptLayerFunctionMessagePromptTemplate";
  }
  functionName: string;

  constructor(fields: { prompt: BaseStringPromptTemplate; functionName: string }) {
    super({ prompt: fields.prompt });
    this.functionName = fields.functionName;
  }

  async format(values: Record<string, unknown>): Promise<BaseMessage> {
    return new FunctionMessage({ content: await this.prompt.format(values), name: this.functionName });
  }
}
