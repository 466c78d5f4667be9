import type { PromptContent, PromptDefinition, PromptResult } from '../../../src/application/prompts/prompt-catalog.js';
import { CODE_PROMPTS, codeReviewPrompt, debugHelpPrompt, explainCodePrompt } from '../../../src/application/prompts/code.prompts.js';

/** The code prompts render at once, from their arguments alone: no client, no promise. */
function render(definition: PromptDefinition, args: Record<string, string>): PromptResult {
  const result = definition.render(args, {});
  if (result instanceof Promise) throw new Error(`${definition.prompt.name} rendered asynchronously`);
  return result;
}

function textOf(definition: PromptDefinition, args: Record<string, string>): string {
  const result = render(definition, args);
  expect(result.messages).toHaveLength(1);
  expect(result.messages[0]?.role).toBe('user');
  return contentText(result.messages[0]!.content);
}

function contentText(content: PromptContent): string {
  if (content.type !== 'text') throw new Error(`expected text content, got ${content.type}`);
  return content.text;
}

/**
 * The fenced code blocks of a Markdown text, by the CommonMark rules that matter here: an opening
 * fence is 3+ backticks followed by an info string without backticks; the block ends at a line of
 * at least as many backticks and nothing else.
 */
function fences(text: string): { fence: string; info: string; body: string }[] {
  const blocks: { fence: string; info: string; body: string }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const open = /^(`{3,})([^`]*)$/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[1]!;
    const end = lines.findIndex((line, j) => j > i && /^`+\s*$/.test(line) && line.trim().length >= fence.length);
    if (end === -1) throw new Error(`unclosed fence at line ${i}`);
    blocks.push({ fence, info: open[2]!, body: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

describe('code prompts', () => {
  it('catalog - code_review, explain_code, debug_help, each with exactly one required argument', () => {
    expect(CODE_PROMPTS.map((p) => p.prompt.name)).toEqual(['code_review', 'explain_code', 'debug_help']);
    expect(CODE_PROMPTS.map((p) => p.prompt.arguments.filter((a) => a.required).map((a) => a.name))).toEqual([['code'], ['code'], ['error']]);
  });

  it('code_review - code, language and focus - code fenced with the language; focus named', () => {
    const text = textOf(codeReviewPrompt, { code: 'const x = 1;\nconsole.log(x);', language: 'typescript', focus: 'security' });

    expect(text.split('\n')[0]).toBe('Review the following typescript code with a focus on security.');
    expect(fences(text)).toEqual([{ fence: '```', info: 'typescript', body: 'const x = 1;\nconsole.log(x);' }]);
    expect(render(codeReviewPrompt, { code: 'x', language: 'go' }).description).toBe('Code review (go)');
  });

  it('code_review - only code - no doubled spaces, no language on the fence', () => {
    const text = textOf(codeReviewPrompt, { code: 'x = 1' });

    expect(text.split('\n')[0]).toBe('Review the following code.');
    expect(fences(text)).toEqual([{ fence: '```', info: '', body: 'x = 1' }]);
  });

  it.each([
    ['a triple-backtick fence', 'before\n```js\nalert(1)\n```\nafter'],
    ['a run of five backticks', 'const s = `````;'],
    ['a lone backtick at the end', 'echo `date`'],
  ])('code containing %s - the fence is longer than any run inside, so the code stays one block, verbatim', (_, code) => {
    for (const definition of [codeReviewPrompt, explainCodePrompt]) {
      const blocks = fences(textOf(definition, { code }));
      expect(blocks).toHaveLength(1);
      expect(blocks[0]?.body).toBe(code);
    }
    const debugBlocks = fences(textOf(debugHelpPrompt, { error: code, code }));
    expect(debugBlocks.map((b) => b.body)).toEqual([code, code]);
  });

  it.each(['ts\n```', 'ts```'])('language %j (untrusted text) - the code still stays in exactly one fenced block', (language) => {
    for (const definition of [codeReviewPrompt, explainCodePrompt]) {
      const text = contentText(render(definition, { code: 'secret_sauce()', language }).messages[0]!.content);
      const blocks = fences(text.slice(text.indexOf('\n\n') + 2));
      expect(blocks.map((b) => b.body)).toEqual(['secret_sauce()']);
    }
  });

  it('explain_code - audience given - "a beginner" / "an expert" reader', () => {
    expect(textOf(explainCodePrompt, { code: 'x', audience: 'beginner' })).toContain('for a beginner reader.');
    expect(textOf(explainCodePrompt, { code: 'x', audience: 'expert' })).toContain('for an expert reader.');
    expect(textOf(explainCodePrompt, { code: 'x', language: 'rust', audience: 'intermediate' })).toContain('Explain the following rust code for an intermediate reader.');
  });

  it('explain_code - no audience - defaults to an intermediate reader, with the right article', () => {
    expect(textOf(explainCodePrompt, { code: 'x' })).toContain('Explain the following code for an intermediate reader.');
  });

  it('debug_help - error only - fenced error, no code or context sections', () => {
    const text = textOf(debugHelpPrompt, { error: 'TypeError: x is undefined' });

    expect(fences(text)).toEqual([{ fence: '```', info: '', body: 'TypeError: x is undefined' }]);
    expect(text).not.toContain('Code:');
    expect(text).not.toContain('Context:');
  });

  it('debug_help - error, code and context - all three present, error first', () => {
    const text = textOf(debugHelpPrompt, { error: 'E1', code: 'f()', context: 'node 20' });

    expect(fences(text).map((b) => b.body)).toEqual(['E1', 'f()']);
    expect(text.indexOf('Error:')).toBeLessThan(text.indexOf('Code:'));
    expect(text).toContain('Context: node 20');
  });

  it.each<[PromptDefinition, string, string, string[]]>([
    [codeReviewPrompt, 'language', 'ja', ['java', 'javascript']],
    [codeReviewPrompt, 'language', 'JA', ['java', 'javascript']],
    [codeReviewPrompt, 'language', 'type', ['typescript']],
    [codeReviewPrompt, 'language', 'cobol', []],
    [codeReviewPrompt, 'focus', 'se', ['security']],
    [codeReviewPrompt, 'focus', 'c', ['correctness', 'concurrency']],
    [codeReviewPrompt, 'code', 'a', []],
    [explainCodePrompt, 'audience', 'e', ['expert']],
    [explainCodePrompt, 'audience', '', ['beginner', 'intermediate', 'expert']],
    [explainCodePrompt, 'language', 'py', ['python']],
  ])('complete - %#: %s %j - values starting with the prefix', (definition, argument, value, expected) => {
    expect(definition.complete?.(argument, value)).toEqual(expected);
  });

  it('complete - empty prefix for language - every language, all lowercase', () => {
    const all = codeReviewPrompt.complete?.('language', '') ?? [];
    expect(all.length).toBeGreaterThan(15);
    expect(all.every((v) => v === v.toLowerCase())).toBe(true);
    expect(all).toContain('typescript');
  });

  it('debug_help - offers no completions', () => {
    expect(debugHelpPrompt.complete).toBeUndefined();
  });
});
