import type { EventActor } from '../shared/domain-event.js';
import { Grants } from './grants.js';

/**
 * Who is calling: attached to every command and query, recorded as `actor` on domain events, carried
 * to the executor, the audit trail and analytics. Sessions and tasks are bound to the principal that
 * created them.
 *
 * - `api-key`: `id` is `key:<name>`;
 * - `oauth`: `id` is `oauth:<sub>` (issuer-scoped by configuration: one issuer per server);
 * - `local-stdio`: the OS user that started the process, `id` `local:<user>`;
 * - `anonymous`: HTTP without authentication configured (loopback only), `id` `anonymous`.
 */
export type PrincipalKind = 'api-key' | 'oauth' | 'local-stdio' | 'anonymous';

export interface Principal {
  readonly id: string;
  readonly kind: PrincipalKind;
  readonly grants: Grants;
  readonly tenant?: string;
  /** The `rate_limits.classes.<name>` this principal is limited by; absent: the default class. */
  readonly rateLimitClass?: string;
  /** When the credential stops being valid (token `exp`, key `expires_at`). */
  readonly expiresAt?: Date;
}

export const ANONYMOUS: Principal = Object.freeze({ id: 'anonymous', kind: 'anonymous', grants: Grants.everything() });

export function localPrincipal(user: string, grants: Grants = Grants.everything()): Principal {
  return Object.freeze({ id: `local:${user}`, kind: 'local-stdio', grants });
}

/** What events and audit lines record about a principal: never a credential. */
export function actorOf(principal: Principal): { id: string; kind: PrincipalKind; tenant?: string } {
  return principal.tenant ? { id: principal.id, kind: principal.kind, tenant: principal.tenant } : { id: principal.id, kind: principal.kind };
}

const actors = new WeakMap<Principal, EventActor>();

/**
 * The `actor` events record for `principal`, made once per principal object (authenticators hand
 * out the same object for a cached credential, so a busy caller's events share one), and
 * undefined for the anonymous caller: a server without auth writes no actor (see DomainEvent.actor).
 */
export function eventActorOf(principal: Principal): EventActor | undefined {
  if (principal.kind === 'anonymous') return undefined;
  let actor = actors.get(principal);
  if (actor === undefined) {
    actor = Object.freeze(actorOf(principal));
    actors.set(principal, actor);
  }
  return actor;
}

/** A principal as a stored aggregate keeps it (a session restored on another replica knows its caller). */
export interface PrincipalSnapshot {
  readonly id: string;
  readonly kind: PrincipalKind;
  readonly grants: readonly string[];
  readonly tenant?: string;
  readonly rateLimitClass?: string;
}

export function principalSnapshot(principal: Principal): PrincipalSnapshot {
  const base = { id: principal.id, kind: principal.kind, grants: principal.grants.toJSON() };
  return {
    ...base,
    ...(principal.tenant !== undefined ? { tenant: principal.tenant } : {}),
    ...(principal.rateLimitClass !== undefined ? { rateLimitClass: principal.rateLimitClass } : {}),
  };
}

/** Back from a snapshot; the grants were written by `toJSON`, so they parse. */
export function principalFromSnapshot(snapshot: PrincipalSnapshot): Principal {
  return Object.freeze({
    id: snapshot.id,
    kind: snapshot.kind,
    grants: Grants.parse(snapshot.grants),
    ...(snapshot.tenant !== undefined ? { tenant: snapshot.tenant } : {}),
    ...(snapshot.rateLimitClass !== undefined ? { rateLimitClass: snapshot.rateLimitClass } : {}),
  });
}
