/**
 * Layer rules (STYLE.md "Taste" 1-3): the domain imports only itself and Node's standard library;
 * dependencies point inward; only the composition root (container.ts) and the entry (main.ts)
 * import infrastructure. `npm run lint:layers` fails CI when a rule breaks.
 */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-plain-typescript',
      severity: 'error',
      comment: 'The domain may import only the domain and node: built-ins.',
      from: { path: '^src/domain/' },
      to: { pathNot: ['^src/domain/', '^node:', '^(path|url|crypto)$'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'application-knows-ports-not-technologies',
      severity: 'error',
      comment: 'Use cases depend on the domain and on their own ports; zod validates at the edges.',
      from: { path: '^src/application/' },
      to: { pathNot: ['^src/application/', '^src/domain/', '^node_modules/zod/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'only-the-composition-root-imports-infrastructure',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/infrastructure/', '^src/composition/', '^src/container\\.ts$', '^src/main\\.ts$'] },
      to: { path: '^src/infrastructure/' },
    },
    {
      name: 'infrastructure-does-not-know-presentation',
      severity: 'error',
      from: { path: '^src/infrastructure/' },
      to: { path: ['^src/presentation/', '^src/composition/', '^src/container\\.ts$', '^src/main\\.ts$'] },
    },
    {
      name: 'nothing-imports-the-entry-or-root',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/main\\.ts$'] },
      to: { path: ['^src/main\\.ts$', '^src/container\\.ts$'] },
    },
    {
      name: 'composition-is-for-the-root',
      severity: 'error',
      comment: 'src/composition wires adapters for container.ts and main.ts only.',
      from: { path: '^src/', pathNot: ['^src/composition/', '^src/container\\.ts$', '^src/main\\.ts$'] },
      to: { path: '^src/composition/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
