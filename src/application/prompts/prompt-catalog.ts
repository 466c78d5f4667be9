import type { Prompt } from '../../domain/prompt/prompt.js';
import type { ClientRequests } from '../ports/client-requests.js';

export type PromptContent =
  | { type: 'text'; text: string }
  | { type: 'image'; data: string; mimeType: string }
  | { type: 'audio'; data: string; mimeType: string }
  | { type: 'resource'; resource: { uri: string; mimeType?: string; text?: string; blob?: string } };

export interface PromptMessage {
  readonly role: 'user' | 'assistant';
  readonly content: PromptContent;
}

export interface PromptResult {
  readonly description?: string;
  readonly messages: PromptMessage[];
}

/** What a prompt may use while it renders, besides its arguments. */
export interface PromptContext {
  /**
   * The requesting client, for a prompt that must ask it something (elicitation, sampling, roots);
   * absent where no client can be asked. Whatever its asks throw — a ClientInterrupt above all (on
   * a 2026-07-28 request the answer comes with a later round) — render lets pass untouched.
   */
  readonly client?: ClientRequests;
}

export interface PromptDefinition {
  readonly prompt: Prompt;
  /**
   * Arguments are strings (MCP prompt arguments); required ones were checked before this is called.
   * On a 2026-07-28 request a prompt that asks the client runs again on every input round, so it
   * asks the same questions in the same order each time and has no other effects.
   */
  render(args: Readonly<Record<string, string>>, context: PromptContext): PromptResult | Promise<PromptResult>;
  /** Suggested values for one argument, given what the user typed so far. */
  complete?(argument: string, value: string): string[];
}

export class PromptCatalog {
  private readonly prompts = new Map<string, PromptDefinition>();

  constructor(definitions: readonly PromptDefinition[]) {
    for (const definition of definitions) this.prompts.set(definition.prompt.name, definition);
  }

  list(): Prompt[] {
    return [...this.prompts.values()].map((d) => d.prompt);
  }

  find(name: string): PromptDefinition | undefined {
    return this.prompts.get(name);
  }
}
