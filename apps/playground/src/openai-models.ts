import { ChatOpenAI, OpenAI } from "@langchain/openai";
import type { ModelFactory } from "./scenarios";

/** Real OpenAI models, used when OPENAI_API_KEY is set (the scripts' answers are then ignored). */
export function openaiModels(): ModelFactory {
  return {
    kind: "openai",
    chat: () => new ChatOpenAI({ model: "gpt-4o-mini", temperature: 0.1, maxTokens: 60 }),
    toolCalling: (tools) => new ChatOpenAI({ model: "gpt-4o-mini", temperature: 0 }).bindTools(tools),
    failing: () => new ChatOpenAI({ model: "no-such-model-playground", maxRetries: 0 }),
    text: () => new OpenAI({ model: "gpt-3.5-turbo-instruct", temperature: 0.7, maxTokens: 60 }),
  };
}
