/**
 * Layer rules (STYLE.md "Taste" 1-3): the domain imports only itself and Node's standard library;
 * dependencies point inward; only the composition root (container.ts) and the entry (main.ts)
 * import infrastructure. `npm run lint:layers` fails CI when a rule breaks.
 */

/**
 * Where a tool, resource or prompt body would sit in presentation: a tools/, resources/ or prompts/
 * folder, or a file with a family suffix. They live in the application (issue 11); presentation
 * maps the protocol to commands and queries. Depcruise judges dependencies, not files, so three
 * rules together refuse such a file whatever its edges: one that imports, one that is imported,
 * one that does neither (an orphan).
 */
const BODY_IN_PRESENTATION = ['^src/presentation/(tools|resources|prompts)/', '^src/presentation/.*/(tools|resources|prompts)/', '^src/presentation/.*[.](tools|resources|prompts)[.]ts$'];

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
      name: 'presentation-holds-no-tool-bodies',
      severity: 'error',
      comment: 'Tools, resources and prompts live in application/{tools,resources,prompts}; presentation/mcp routes only.',
      from: { path: BODY_IN_PRESENTATION },
      to: {},
    },
    {
      name: 'presentation-holds-no-imported-tool-bodies',
      severity: 'error',
      comment: 'Tools, resources and prompts live in application/{tools,resources,prompts}; presentation/mcp routes only.',
      from: {},
      to: { path: BODY_IN_PRESENTATION },
    },
    {
      name: 'presentation-holds-no-orphan-tool-bodies',
      severity: 'error',
      comment: 'Tools, resources and prompts live in application/{tools,resources,prompts}; presentation/mcp routes only.',
      from: { orphan: true, path: BODY_IN_PRESENTATION },
      to: {},
    },
    {
      name: 'presentation-reaches-tools-through-the-bus',
      severity: 'error',
      comment: 'Presentation neither builds tools (define-tool) nor calls a family: tools/call is an ExecuteToolCommand. Families are wired by the composition root.',
      from: { path: '^src/presentation/' },
      to: { path: ['^src/application/tools/define-tool[.]ts$', '^src/application/(tools|resources|prompts)/[^/]+[.](tools|resources|prompts)[.]ts$'] },
    },
    {
      name: 'conformance-fixtures-are-a-profile',
      severity: 'error',
      comment: 'src/conformance (the mcp.fixtures.conformance profile) is loaded by the composition root only; the product never imports it.',
      from: { path: '^src/', pathNot: ['^src/conformance/', '^src/container\\.ts$'] },
      to: { path: '^src/conformance/' },
    },
    {
      name: 'conformance-fixtures-use-the-application',
      severity: 'error',
      comment: 'The fixtures are built like product tools: from the application and domain, never from presentation or infrastructure.',
      from: { path: '^src/conformance/' },
      to: { path: ['^src/presentation/', '^src/infrastructure/', '^src/composition/'] },
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
