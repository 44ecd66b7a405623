import type { AIMessage, ToolMessage } from "@langchain/core/messages";
import { ChatPromptTemplate, PromptTemplate } from "@langchain/core/prompts";
import { ObservabilityError } from "@langchain-observability/core";
import { describe, expect, test } from "vitest";
import { convertPromptLayerTemplate, toFStringTemplate } from "./convert-promptlayer-template";

describe("toFStringTemplate", () => {
  test.each([
    {
      format: "f-string" as const,
      text: "Tell me a joke about {product}.",
      expected: "Tell me a joke about {product}.",
    },
    { format: "f-string" as const, text: 'JSON: {{"a": {value}}}', expected: 'JSON: {{"a": {value}}}' },
    { format: "jinja2" as const, text: "Hello {{ name }}!", expected: "Hello {name}!" },
    {
      format: "jinja2" as const,
      text: "Hello {{name}} and {{  other  }}",
      expected: "Hello {name} and {other}",
    },
    {
      format: "jinja2" as const,
      text: 'Answer as {"key": {{ value }}}',
      expected: 'Answer as {{"key": {value}}}',
    },
    { format: "jinja2" as const, text: "Literal } and { braces", expected: "Literal }} and {{ braces" },
    { format: "jinja2" as const, text: "line one\r\nline two\n", expected: "line one\nline two" },
  ])("$format $text", ({ format, text, expected }) => {
    expect(toFStringTemplate(text, format, '"example"')).toBe(expected);
  });

  test.each([
    { format: "jinja2" as const, text: "{% if x %}yes{% endif %}", message: /Jinja2 statements/ },
    { format: "jinja2" as const, text: "{# note #}Hi", message: /Jinja2 comments/ },
    { format: "jinja2" as const, text: "{{ name | upper }}", message: /\{\{ name \| upper \}\}/ },
    { format: "jinja2" as const, text: "{{ user.name }}", message: /plain name/ },
    { format: "jinja2" as const, text: "{{- name -}}", message: /plain name/ },
    { format: "jinja2" as const, text: "Hello {{ name", message: /unclosed/ },
    { format: "f-string" as const, text: "{user.name}", message: /only plain \{name\} fields/ },
    { format: "f-string" as const, text: "{0}", message: /only plain \{name\} fields/ },
    { format: "f-string" as const, text: "Hello {name", message: /unclosed "\{"/ },
    { format: "f-string" as const, text: "Hello }", message: /single "\}"/ },
  ])("refuses $format $text with a clear error", ({ format, text, message }) => {
    expect(() => toFStringTemplate(text, format, '"example"')).toThrow(message);
    try {
      toFStringTemplate(text, format, '"example"');
    } catch (error) {
      expect(ObservabilityError.isInstance(error)).toBe(true);
      expect((error as Error).message).toContain('PromptLayer template "example"');
    }
  });

  test("refuses an unknown template format", () => {
    expect(() => toFStringTemplate("x", "mustache" as never, '"example"')).toThrow(
      /only "f-string" and "jinja2" are supported/,
    );
  });
});

describe("convertPromptLayerTemplate", () => {
  test("a completion template becomes a PromptTemplate that formats like PromptLayer", async () => {
    const prompt = convertPromptLayerTemplate("example", {
      type: "completion",
      content: [{ type: "text", text: "Tell me a joke about {product}." }],
      input_variables: ["product"],
    });
    expect(prompt).toBeInstanceOf(PromptTemplate);
    expect(prompt.inputVariables).toEqual(["product"]);
    expect(await prompt.format({ product: "toasters" })).toBe("Tell me a joke about toasters.");
  });

  test("a jinja2 completion template formats its {{ variables }}", async () => {
    const prompt = convertPromptLayerTemplate("example", {
      type: "completion",
      template_format: "jinja2",
      content: [{ type: "text", text: 'Describe {{ product }} as JSON: {"name": "{{ product }}"}' }],
    });
    expect(await prompt.format({ product: "a toaster" })).toBe(
      'Describe a toaster as JSON: {"name": "a toaster"}',
    );
  });

  test("a missing variable is an error, not an empty string", async () => {
    const prompt = convertPromptLayerTemplate("example", {
      type: "completion",
      content: [{ type: "text", text: "Hi {name}" }],
    });
    await expect(prompt.format({})).rejects.toThrow(/name/);
  });

  test("a chat template becomes a ChatPromptTemplate with every role", async () => {
    const prompt = convertPromptLayerTemplate("assistant", {
      type: "chat",
      messages: [
        { role: "system", content: [{ type: "text", text: "You sell {product}." }] },
        { role: "developer", content: [{ type: "text", text: "Be brief." }] },
        { role: "placeholder", name: "history" },
        {
          role: "user",
          template_format: "jinja2",
          content: [{ type: "text", text: "Question about {{ product }}: {{ question }}" }],
        },
        { role: "assistant", content: [{ type: "text", text: "Let me check {product}." }] },
        {
          role: "assistant",
          content: [],
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "stock", arguments: '{"item":"toaster"}' } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: [{ type: "text", text: "{count} in stock" }] },
        { role: "function", name: "legacy", content: [{ type: "text", text: "ok" }] },
      ],
    });
    expect(prompt).toBeInstanceOf(ChatPromptTemplate);
    expect([...prompt.inputVariables].sort()).toEqual(["count", "history", "product", "question"]);
    const messages = await (prompt as ChatPromptTemplate).formatMessages({
      product: "toasters",
      question: "how hot?",
      count: 3,
      history: [["human", "earlier"]],
    });
    expect(messages.map((message) => [message.getType(), message.content])).toEqual([
      ["system", "You sell toasters."],
      ["system", "Be brief."],
      ["human", "earlier"],
      ["human", "Question about toasters: how hot?"],
      ["ai", "Let me check toasters."],
      ["ai", ""],
      ["tool", "3 in stock"],
      ["function", "ok"],
    ]);
    expect((messages[5] as AIMessage).tool_calls).toEqual([
      { id: "call_1", name: "stock", args: { item: "toaster" }, type: "tool_call" },
    ]);
    expect((messages[6] as ToolMessage).tool_call_id).toBe("call_1");
  });

  test("a message with an image part keeps it, with its text rendered", async () => {
    const prompt = convertPromptLayerTemplate("vision", {
      type: "chat",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is in {what}?" },
            { type: "image_url", image_url: { url: "https://example.com/{image}.png" } },
          ],
        },
      ],
    }) as ChatPromptTemplate;
    const [message] = await prompt.formatMessages({ what: "this picture", image: "cat" });
    expect(message?.content).toEqual([
      { type: "text", text: "What is in this picture?" },
      { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
    ]);
  });

  test.each([
    { template: undefined, message: /without a prompt_template/ },
    { template: { type: "agent" }, message: /expected "completion" or "chat"/ },
    {
      template: { type: "chat", messages: [{ role: "user", content: [{ type: "media", media: {} }] }] },
      message: /"media" content part/,
    },
    {
      template: { type: "chat", messages: [{ role: "placeholder" }] },
      message: /placeholder without a name/,
    },
    {
      template: { type: "chat", messages: [{ role: "narrator", content: "x" }] },
      message: /role "narrator"/,
    },
  ])("refuses what it cannot render faithfully: $message", ({ template, message }) => {
    expect(() => convertPromptLayerTemplate("x", template as never)).toThrow(message);
  });
});
