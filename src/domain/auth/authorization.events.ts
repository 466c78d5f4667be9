import { domainEvent, type DomainEvent, type EventActor, type EventMeta, type EventTrace } from '../shared/domain-event.js';
import { actorOf, type Principal } from './principal.js';

/**
 * A principal asked for something its grants do not cover, and was refused. Wire type
 * `authorization.denied` v1 (NATS subject `tfo.mcp.authorization.denied.v1`), aggregate type
 * `authorization`, aggregate id the principal's id: the denials of one caller read as one stream.
 */
export interface AuthorizationDeniedData {
  readonly principal: string;
  readonly principalKind: string;
  readonly tenant?: string;
  /** The MCP method refused: `tools/call`, `resources/read`, `prompts/get`, `completion/complete`, `resources/subscribe`. */
  readonly method: string;
  /** The tool or prompt name, or the resource URI (cut to a bounded length). */
  readonly target: string;
  /** Method and target as one line: `tools/call read_file`, `resources/read file:///etc/hosts`. */
  readonly asked: string;
  /** The grant that would have allowed it: `tools:read_file`, `resources:file`, `prompts:code_review`. */
  readonly missingGrant: string;
}

export type AuthorizationDenied = DomainEvent<'authorization.denied', AuthorizationDeniedData>;

/** Longest target recorded: a URI can be long, and the event is a fact about the caller, not a copy of its request. */
const MAX_TARGET = 512;

export function authorizationDenied(
  principal: Principal,
  request: { readonly method: string; readonly target: string; readonly missingGrant: string },
  meta: EventMeta,
  sessionId?: string,
  trace?: EventTrace,
  actor?: EventActor,
): AuthorizationDenied {
  const target = request.target.length > MAX_TARGET ? request.target.slice(0, MAX_TARGET) : request.target;
  const who = actorOf(principal);
  const data: AuthorizationDeniedData = {
    principal: who.id,
    principalKind: who.kind,
    ...(who.tenant !== undefined ? { tenant: who.tenant } : {}),
    method: request.method,
    target,
    asked: `${request.method} ${target}`,
    missingGrant: request.missingGrant,
  };
  return domainEvent('authorization', principal.id, 'authorization.denied', data, meta, sessionId, trace, actor);
}
