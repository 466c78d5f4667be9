import type { ResourceTemplate } from '../../domain/resource/resource.js';
import type { ConversationRepository } from '../../domain/conversation/conversation.repository.js';
import { ownerOf, type ConversationOwners } from '../conversations/conversation-owner.js';
import { GetConversationHandler, GetConversationQuery } from '../conversations/get-conversation.query.js';
import type { Requester } from '../ports/client-requests.js';
import type { ResourceContents, ResourceProvider } from './resource-catalog.js';

const SCHEME = 'conversation://';

const TEMPLATE: ResourceTemplate = {
  uriTemplate: 'conversation://{id}',
  name: 'conversation',
  title: 'Claude conversation',
  description:
    'The transcript of one of your claude_conversation conversations: model, system prompt, status, token usage and every ' +
    'message with its text, tool calls and tool results. Ids come from claude_conversation answers and list_conversations.',
  mimeType: 'application/json',
};

/**
 * `conversation://{id}`: a transcript, for its owner only; any other caller is told it does not
 * exist. Reads run GetConversation's handler directly (no query goes back onto the bus).
 */
export class ConversationResources implements ResourceProvider {
  private readonly get: GetConversationHandler;

  constructor(
    conversations: ConversationRepository,
    private readonly owners: ConversationOwners,
  ) {
    this.get = new GetConversationHandler(conversations);
  }

  resources() {
    return [];
  }

  templates(): readonly ResourceTemplate[] {
    return [TEMPLATE];
  }

  async read(uri: string, requester?: Requester): Promise<ResourceContents[] | undefined> {
    if (!uri.startsWith(SCHEME) || requester === undefined) return undefined;
    const id = decodeId(uri.slice(SCHEME.length));
    if (id === undefined) return undefined;
    const owner = ownerOf(await this.owners.callerOf(requester));
    const { conversation } = await this.get.execute(new GetConversationQuery(owner, id));
    if (!conversation) return undefined;
    return [{ uri, mimeType: 'application/json', text: JSON.stringify(conversation, null, 2) }];
  }
}

/** The id as the template expands it (percent-encoded); a malformed escape names nothing. */
function decodeId(raw: string): string | undefined {
  if (raw.length === 0 || raw.length > 1024) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}
