import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { CommandPolicy } from '../../../domain/security/command-policy.js';
import { isSecretPath } from '../../../domain/security/secret-paths.js';
import { DomainError } from '../../../domain/shared/domain-error.js';
import { isWithinRoots } from '../../../domain/workspace/path-containment.js';
import type { HostAgentConfig } from './host-agent-config.js';
import type { ExecuteBody } from './host-agent-protocol.js';

/** A request the agent's own policy refuses; `rule` is the stable name the audit and the server see. */
export class GateRefusal extends Error {
  constructor(readonly rule: string, message: string) {
    super(message);
    this.name = 'GateRefusal';
  }
}

export interface Admitted {
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** Variables that make a program load code it was not asked to run; refused even when listed. */
const CODE_LOADING_ENV = /^(LD_|DYLD_)|^(NODE_OPTIONS|BASH_ENV|ENV|PYTHONSTARTUP|PYTHONPATH|PERL5OPT|PERL5LIB|RUBYOPT|GCONV_PATH|IFS)$/;

/**
 * The agent's own decision, made as if the server had decided nothing: its allow/block lists and
 * argument rules (the domain's CommandPolicy, the same rules the server uses, with the agent's
 * lists), its own roots checked through symlinks, and its own environment allowlist. PATH is
 * always the agent's, so the caller cannot choose which binary a name resolves to.
 */
export class HostAgentGate {
  private readonly policy: CommandPolicy;
  private realRoots: Promise<string[]> | undefined;

  constructor(private readonly config: HostAgentConfig) {
    const security = config.security;
    this.policy = new CommandPolicy({
      allowedCommands: security.allowed_commands,
      blockedCommands: security.blocked_commands,
      unreviewedCommands: security.unreviewed_commands,
      allowShell: security.allow_shell,
      allowPathsOutsideRoots: security.allow_paths_outside_roots,
    });
  }

  async admit(request: ExecuteBody): Promise<Admitted> {
    const env = this.env(request.env ?? {});
    if (!path.isAbsolute(request.cwd)) throw new GateRefusal('cwd_not_absolute', `working directory "${request.cwd}" is not absolute`);
    const roots = await this.roots();
    let decision;
    try {
      decision = this.policy.check({ command: request.command, args: request.args ?? [], shell: request.shell ?? false, cwd: request.cwd, roots });
    } catch (error) {
      if (error instanceof DomainError) throw new GateRefusal(String(error.details?.['rule'] ?? 'denied'), error.message.replaceAll('security.', 'host_agent.security.'));
      throw error;
    }
    if (!this.config.security.allow_paths_outside_roots) {
      await this.checkReal(request.cwd, roots, 'cwd_outside_roots');
      for (const use of decision.paths) {
        if (use.resolved === undefined) throw new GateRefusal('path_outside_roots', `argument "${use.arg}" cannot be resolved here`);
        await this.checkReal(use.resolved, roots, 'path_outside_roots', use.arg);
      }
    }
    return { args: decision.args, env };
  }

  private env(requested: Readonly<Record<string, string>>): Record<string, string> {
    const allowed = new Set(this.config.security.env_allowlist);
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(requested)) {
      // The server passes its PATH along; the agent's own replaces it below.
      if (name === 'PATH') continue;
      if (CODE_LOADING_ENV.test(name) || !allowed.has(name)) {
        throw new GateRefusal('env_not_allowed', `environment variable "${name}" is not in host_agent.security.env_allowlist`);
      }
      env[name] = value;
    }
    return { ...env, PATH: this.config.path };
  }

  private roots(): Promise<string[]> {
    // Resolved once: a root that is itself a symlink is judged by where it points.
    this.realRoots ??= Promise.all(this.config.roots.map((root) => realpath(root).catch(() => path.resolve(root))));
    return this.realRoots;
  }

  /** The nearest existing ancestor decides; a dangling symlink could be written through to anywhere. */
  private async checkReal(target: string, roots: readonly string[], rule: string, arg?: string): Promise<void> {
    const shown = arg ?? target;
    for (let current = target; ; current = path.dirname(current)) {
      let real: string | undefined;
      try {
        real = await realpath(current);
      } catch (error) {
        const stat = await lstat(current).catch(() => undefined);
        if (stat?.isSymbolicLink()) throw new GateRefusal('dangling_symlink', `"${shown}" is a symbolic link to nothing, which a program could create outside the roots`);
        if (path.dirname(current) === current) throw error;
        continue;
      }
      if (isSecretPath(real)) throw new GateRefusal('secret_path', `"${shown}" leads to process memory or environment`);
      if (!isWithinRoots(roots, real)) throw new GateRefusal(rule, `"${shown}" is outside host_agent.roots (${roots.join(', ') || 'none configured'})`);
      return;
    }
  }
}
