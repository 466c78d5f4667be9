import type { ClientCapabilities } from '@modelcontextprotocol/server';
import { ClientAnswerInvalid, ClientAnswerPending, ClientCapabilityMissing, type AskOptions, type ClientRequests, type ClientRoot } from '../../../application/ports/client-requests.js';
import { answerOf } from '../tool-context.js';
import type { ResultCheck } from '../request-dispatcher.js';

type Kind = 'elicitation' | 'sampling' | 'roots';

const METHOD: Record<Kind, string> = { elicitation: 'elicitation/create', sampling: 'sampling/createMessage', roots: 'roots/list' };
const CHECK: Record<Kind, ResultCheck> = {
  elicitation: answerOf('ElicitResult'),
  sampling: answerOf('CreateMessageResult'),
  roots: answerOf('ListRootsResult'),
};

/**
 * Sampling, elicitation and roots on a stateless request (SEP-2322): the same ClientRequests port
 * the tools use on a session, so tool bodies do not know the revision. The handler runs again on
 * every round. Each ask gets the key its asker chose or one from its kind and its order in the
 * run (`elicitation-1`, `sampling-1`, `roots-1`…), stable across rounds because the run is the
 * same; an ask whose key has an answer (from this round's `inputResponses` or, signed, from earlier
 * rounds in `requestState`) gets it, any other ask is collected and the run ends with
 * `ClientAnswerPending`. Asks made together (Promise.all) therefore go out in one round.
 */
export class InputRounds {
  /** Asked in this run and not answered: the next InputRequiredResult's `inputRequests`. */
  readonly asked: Record<string, { method: string; params?: Record<string, unknown> }> = {};
  /** The answers this run used: what the next round's requestState must carry. */
  readonly used: Record<string, Record<string, unknown>> = {};
  private readonly counters: Record<Kind, number> = { elicitation: 0, sampling: 0, roots: 0 };

  constructor(
    private readonly declared: ClientCapabilities,
    private readonly answers: Readonly<Record<string, unknown>>,
  ) {}

  get pending(): boolean {
    return Object.keys(this.asked).length > 0;
  }

  client(): ClientRequests {
    return {
      supports: {
        sampling: this.declared.sampling !== undefined,
        elicitation: this.declared.elicitation !== undefined,
        roots: this.declared.roots !== undefined,
      },
      answersLater: true,
      createMessage: (params, options) => this.ask('sampling', params, options),
      elicit: async (params, options) => (await this.ask('elicitation', params, options)) as { action: 'accept' | 'decline' | 'cancel'; content?: Record<string, unknown> },
      listRoots: async () => {
        const result = (await this.ask('roots', undefined)) as { roots: ClientRoot[] };
        return result.roots.map((root) => (root.name === undefined ? { uri: root.uri } : { uri: root.uri, name: root.name }));
      },
    };
  }

  private async ask(kind: Kind, params: Readonly<Record<string, unknown>> | undefined, options?: AskOptions): Promise<Record<string, unknown>> {
    if (this.declared[kind] === undefined) throw new ClientCapabilityMissing(kind);
    this.counters[kind] += 1;
    const key = options?.key ?? `${kind}-${this.counters[kind]}`;
    const answer = this.answers[key];
    if (answer !== undefined) {
      const problem = CHECK[kind](answer);
      if (problem !== undefined) throw new ClientAnswerInvalid(`inputResponses["${key}"] is not a valid ${METHOD[kind]} result: ${problem}`);
      this.used[key] = answer as Record<string, unknown>;
      return answer as Record<string, unknown>;
    }
    this.asked[key] = params === undefined ? { method: METHOD[kind] } : { method: METHOD[kind], params: { ...params } };
    throw new ClientAnswerPending();
  }
}
