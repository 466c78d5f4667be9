import type { Prompt } from '../../domain/prompt/prompt.js';
import { ListCatalogQuery, listCatalogHandler } from '../list-catalog.query.js';
import type { PromptCatalog } from './prompt-catalog.js';

export class ListPromptsQuery extends ListCatalogQuery<Prompt> {}

export const ListPromptsHandler = listCatalogHandler(
  ListPromptsQuery,
  'prompts/list',
  (catalog: PromptCatalog) => catalog.list(),
  (grants, prompts) => (grants.allowsEvery('prompts') ? prompts : prompts.filter((prompt) => grants.allowsPrompt(prompt.name))),
);
