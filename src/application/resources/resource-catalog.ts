import type { Resource, ResourceTemplate } from '../../domain/resource/resource.js';
import type { Requester } from '../ports/client-requests.js';

export type ResourceContents =
  | { uri: string; mimeType?: string; text: string }
  | { uri: string; mimeType?: string; blob: string };

/**
 * A source of resources (server status, files…). `read` returns undefined for URIs it does not own.
 * `requester` is the session asking (its client's roots confine file:// resources); absent for internal callers.
 */
export interface ResourceProvider {
  resources(): readonly Resource[];
  templates(): readonly ResourceTemplate[];
  read(uri: string, requester?: Requester): Promise<ResourceContents[] | undefined>;
  /** Starts watching a resource this provider owns; undefined when it does not own `uri`. */
  watch?(uri: string, onChange: () => void, requester?: Requester): Promise<(() => void) | undefined>;
  /** Values for one variable of one of this provider's templates. */
  complete?(uriTemplate: string, argument: string, value: string): Promise<string[] | undefined>;
}

export class ResourceCatalog {
  constructor(private readonly providers: readonly ResourceProvider[]) {}

  resources(): Resource[] {
    return this.providers.flatMap((p) => p.resources());
  }

  templates(): ResourceTemplate[] {
    return this.providers.flatMap((p) => p.templates());
  }

  async read(uri: string, requester?: Requester): Promise<ResourceContents[] | undefined> {
    for (const provider of this.providers) {
      const contents = await provider.read(uri, requester);
      if (contents) return contents;
    }
    return undefined;
  }

  async watch(uri: string, onChange: () => void, requester?: Requester): Promise<(() => void) | undefined> {
    for (const provider of this.providers) {
      const stop = await provider.watch?.(uri, onChange, requester);
      if (stop) return stop;
    }
    return undefined;
  }

  async complete(uriTemplate: string, argument: string, value: string): Promise<string[] | undefined> {
    for (const provider of this.providers) {
      if (!provider.complete || !provider.templates().some((t) => t.uriTemplate === uriTemplate)) continue;
      return provider.complete(uriTemplate, argument, value);
    }
    return undefined;
  }
}
