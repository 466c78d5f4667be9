import type { PromptDefinition, PromptResult } from './prompt-catalog.js';

const LANGUAGES = [
  'bash', 'c', 'cpp', 'csharp', 'css', 'go', 'html', 'java', 'javascript', 'json', 'kotlin', 'markdown',
  'php', 'python', 'ruby', 'rust', 'scala', 'sql', 'swift', 'typescript', 'yaml',
];
const FOCUS = ['correctness', 'security', 'performance', 'readability', 'tests', 'error-handling', 'concurrency'];
const AUDIENCE = ['beginner', 'intermediate', 'expert'];

function startsWith(options: readonly string[], value: string): string[] {
  const v = value.toLowerCase();
  return options.filter((o) => o.startsWith(v));
}

/** A language tag goes into the fence's info string only when it cannot break the fence. */
const LANGUAGE_TAG = /^[\w+#.-]{1,32}$/;

function fence(code: string, language?: string): string {
  const longest = Math.max(2, ...[...code.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  const tag = language !== undefined && LANGUAGE_TAG.test(language) ? language : '';
  return `${ticks}${tag}\n${code}\n${ticks}`;
}

function article(word: string): string {
  return `${/^[aeiou]/i.test(word) ? 'an' : 'a'} ${word}`;
}

function user(text: string, description: string): PromptResult {
  return { description, messages: [{ role: 'user', content: { type: 'text', text } }] };
}

export const codeReviewPrompt: PromptDefinition = {
  prompt: {
    name: 'code_review',
    title: 'Code review',
    description: 'Review code for bugs, risks and improvements, most important findings first.',
    arguments: [
      { name: 'code', description: 'The code to review', required: true },
      { name: 'language', description: 'Programming language (e.g. typescript)', required: false },
      { name: 'focus', description: `What to focus on: ${FOCUS.join(', ')}`, required: false },
    ],
  },
  render: ({ code, language, focus }) =>
    user(
      [
        `Review the following ${language ?? ''} code${focus ? ` with a focus on ${focus}` : ''}.`.replace(/ {2}/g, ' '),
        'List concrete findings, most severe first. For each: the line or construct, why it matters, and a fix.',
        'Finish with what is done well, in one or two lines.',
        '',
        fence(code, language),
      ].join('\n'),
      `Code review${language ? ` (${language})` : ''}`,
    ),
  complete: (argument, value) =>
    argument === 'language' ? startsWith(LANGUAGES, value) : argument === 'focus' ? startsWith(FOCUS, value) : [],
};

export const explainCodePrompt: PromptDefinition = {
  prompt: {
    name: 'explain_code',
    title: 'Explain code',
    description: 'Explain what a piece of code does and how, for a chosen audience.',
    arguments: [
      { name: 'code', description: 'The code to explain', required: true },
      { name: 'language', description: 'Programming language', required: false },
      { name: 'audience', description: `Who the explanation is for: ${AUDIENCE.join(', ')}`, required: false },
    ],
  },
  render: ({ code, language, audience }) =>
    user(
      [
        `Explain the following ${language ?? ''} code for ${article(audience ?? 'intermediate')} reader.`.replace(/ {2}/g, ' '),
        'Start with its purpose in one sentence, then walk through how it works, then note edge cases and pitfalls.',
        '',
        fence(code, language),
      ].join('\n'),
      'Code explanation',
    ),
  complete: (argument, value) =>
    argument === 'language' ? startsWith(LANGUAGES, value) : argument === 'audience' ? startsWith(AUDIENCE, value) : [],
};

export const debugHelpPrompt: PromptDefinition = {
  prompt: {
    name: 'debug_help',
    title: 'Debug help',
    description: 'Diagnose an error: likely causes, how to confirm each, and a fix.',
    arguments: [
      { name: 'error', description: 'The error message or stack trace', required: true },
      { name: 'code', description: 'The code involved, if any', required: false },
      { name: 'context', description: 'What you were doing, environment, what you tried', required: false },
    ],
  },
  render: ({ error, code, context }) =>
    user(
      [
        'Help me debug this error. Give the most likely causes first, how to confirm each one, and the fix.',
        '',
        'Error:',
        fence(error),
        ...(code ? ['', 'Code:', fence(code)] : []),
        ...(context ? ['', `Context: ${context}`] : []),
      ].join('\n'),
      'Debugging help',
    ),
};

export const CODE_PROMPTS: readonly PromptDefinition[] = [codeReviewPrompt, explainCodePrompt, debugHelpPrompt];
