#!/usr/bin/env node
// An MCP client small enough to read at a glance, for scripts/container-check.sh: one session against a
// server in a container, over Streamable HTTP or stdio, with no dependency outside Node.
//
//   node scripts/container/mcp-probe.mjs http URL [--list DIR] [--write PATH] [--exec PROGRAM ARG...] [--repeat N]
//   node scripts/container/mcp-probe.mjs stateless URL [--list DIR] [--repeat N]
//   node scripts/container/mcp-probe.mjs stdio [--list DIR] -- COMMAND ARG...
//
// http and stdio initialize (protocol 2025-11-25), send notifications/initialized, then call the tools
// asked for: list_directory DIR (read-only, so cached when a cache is configured), write_file PATH,
// execute_command; --repeat N makes those calls N times in the same session (behind a round-robin
// proxy, on different replicas). stateless sends the calls as 2026-07-28 requests: no initialize, no
// session, the protocol version and client in each request's _meta, and checks that no session is made.
// Prints one JSON line with what came back; exits 1, saying why on stderr, on any error answer.
// stdio also checks that stdout carries nothing but JSON-RPC lines, closes stdin, and expects exit 0.
import { spawn } from 'node:child_process';

const PROTOCOL = '2025-11-25';
const STATELESS_PROTOCOL = '2026-07-28';
const args = process.argv.slice(2);
const transport = args.shift();
const option = (name) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const listDir = option('--list');
const writePath = option('--write');
const execAt = args.indexOf('--exec');
const execArgv = execAt >= 0 ? args.slice(execAt + 1, args.includes('--') ? args.indexOf('--') : undefined) : undefined;
const repeat = Number(option('--repeat') ?? 1);

function die(message) {
  process.stderr.write(`mcp-probe: ${message}\n`);
  process.exit(1);
}

/** The calls after initialize, in order: [label, tool name, arguments]. */
function plannedCalls() {
  const calls = [];
  for (let round = 0; round < repeat; round++) {
    if (listDir) calls.push(['list', 'list_directory', { path: listDir }]);
    if (writePath) calls.push(['write', 'write_file', { path: writePath, content: `written by container-check ${new Date().toISOString()}\n` }]);
    if (execArgv) calls.push(['exec', 'execute_command', { command: execArgv[0], args: execArgv.slice(1) }]);
  }
  return calls;
}

/** A tool result that is an error (isError) or a JSON-RPC error, as one line. */
function problem(label, message) {
  if (message.error) return `${label}: JSON-RPC error ${message.error.code} ${message.error.message}`;
  if (message.result?.isError) return `${label}: tool error ${JSON.stringify(message.result.content).slice(0, 300)}`;
  return undefined;
}
function summary(message) {
  const r = message.result ?? {};
  return r.structuredContent ?? r.content?.map((c) => c.text).join('') ?? r;
}

// --- Streamable HTTP ---------------------------------------------------------------------------------
async function http(url) {
  let session;
  let id = 0;
  async function post(body) {
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    if (session) Object.assign(headers, { 'mcp-session-id': session, 'mcp-protocol-version': PROTOCOL });
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
    session ??= response.headers.get('mcp-session-id') ?? undefined;
    const text = await response.text();
    if (body.id === undefined) {
      if (response.status !== 202 && response.status !== 200) die(`${body.method}: HTTP ${response.status} ${text.slice(0, 200)}`);
      return undefined;
    }
    if (!response.ok) die(`${body.method}: HTTP ${response.status} ${text.slice(0, 300)}`);
    return answerIn(response, text, body.id) ?? die(`${body.method}: no answer with id ${body.id} in ${text.slice(0, 300)}`);
  }
  const init = await post({ jsonrpc: '2.0', id: ++id, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'container-check', version: '1' } } });
  const initProblem = problem('initialize', init);
  if (initProblem) die(initProblem);
  if (!session) die('initialize: no Mcp-Session-Id header in the answer');
  await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
  const out = { server: init.result.serverInfo, protocolVersion: init.result.protocolVersion, session, calls: 0 };
  for (const [label, name, callArgs] of plannedCalls()) {
    const answer = await post({ jsonrpc: '2.0', id: ++id, method: 'tools/call', params: { name, arguments: callArgs } });
    const callProblem = problem(label, answer);
    if (callProblem) die(callProblem);
    out[label] = summary(answer);
    out.calls++;
  }
  await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': session, 'mcp-protocol-version': PROTOCOL } }).catch(() => undefined);
  return out;
}

// --- 2026-07-28 over HTTP: every request stands alone -------------------------------------------------
async function stateless(url) {
  const out = { protocolVersion: STATELESS_PROTOCOL, calls: 0 };
  let id = 0;
  for (const [label, name, callArgs] of plannedCalls()) {
    const body = {
      jsonrpc: '2.0',
      id: ++id,
      method: 'tools/call',
      params: {
        name,
        arguments: callArgs,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': STATELESS_PROTOCOL,
          'io.modelcontextprotocol/clientInfo': { name: 'container-check', version: '1' },
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      },
    };
    // The routing headers (SEP-2243) repeat the method and the tool's name for proxies.
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': STATELESS_PROTOCOL, 'mcp-method': 'tools/call', 'mcp-name': name };
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
    const text = await response.text();
    if (!response.ok) die(`${label} (${STATELESS_PROTOCOL}): HTTP ${response.status} ${text.slice(0, 300)}`);
    const session = response.headers.get('mcp-session-id');
    if (session) die(`${label} (${STATELESS_PROTOCOL}): the answer opened a session (Mcp-Session-Id ${session})`);
    const message = answerIn(response, text, body.id) ?? die(`${label}: no answer with id ${body.id} in ${text.slice(0, 300)}`);
    const callProblem = problem(label, message);
    if (callProblem) die(callProblem);
    out[label] = summary(message);
    out.calls++;
  }
  return out;
}

/** The JSON-RPC answer with this id in a JSON body or in an SSE stream's data lines (after any notifications). */
function answerIn(response, text, id) {
  const candidates = (response.headers.get('content-type') ?? '').includes('text/event-stream')
    ? text.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim())
    : [text];
  return candidates.map((candidate) => JSON.parse(candidate)).find((message) => message.id === id);
}

// --- stdio ---------------------------------------------------------------------------------------------
function stdio(command) {
  return new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      die(`stdio: no complete exchange within 60 s; stderr: ${stderr.slice(-500)}`);
    }, 60_000);
    let stderr = '';
    let buffered = '';
    const waiting = new Map();
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        let message;
        try {
          message = JSON.parse(line);
        } catch {
          die(`stdio: stdout carried a line that is not JSON-RPC: ${line.slice(0, 200)}`);
        }
        if (message.jsonrpc !== '2.0') die(`stdio: stdout carried JSON that is not JSON-RPC: ${line.slice(0, 200)}`);
        waiting.get(message.id)?.(message);
      }
    });
    let id = 0;
    const request = (method, params) =>
      new Promise((answer) => {
        const current = ++id;
        waiting.set(current, answer);
        child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: current, method, params })}\n`);
      });
    child.on('error', (error) => die(`stdio: cannot start ${command[0]}: ${error.message}`));
    (async () => {
      const init = await request('initialize', { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'container-check', version: '1' } });
      const initProblem = problem('initialize', init);
      if (initProblem) die(initProblem);
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
      const out = { server: init.result.serverInfo, protocolVersion: init.result.protocolVersion };
      for (const [label, name, callArgs] of plannedCalls()) {
        const answer = await request('tools/call', { name, arguments: callArgs });
        const callProblem = problem(label, answer);
        if (callProblem) die(callProblem);
        out[label] = summary(answer);
      }
      const closedAt = Date.now();
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (code !== 0) die(`stdio: exit ${code ?? signal} after stdin closed; stderr: ${stderr.slice(-500)}`);
        resolve({ ...out, exitAfterEofMs: Date.now() - closedAt });
      });
      child.stdin.end();
    })();
  });
}

let result;
if (transport === 'http' && args[0]) result = await http(args[0]);
else if (transport === 'stateless' && args[0]) result = await stateless(args[0]);
else if (transport === 'stdio' && args.includes('--')) result = await stdio(args.slice(args.indexOf('--') + 1));
else die('usage: mcp-probe.mjs http URL [--list DIR] [--write PATH] [--exec PROGRAM ARG...] [--repeat N] | stateless URL [--list DIR] [--repeat N] | stdio [--list DIR] -- COMMAND ARG...');
// The whole answer, then one line for a person (container-check.sh shows the last line).
const parts = [result.server ? `${result.server.name} ${result.server.version}, protocol ${result.protocolVersion}` : `protocol ${result.protocolVersion}, no session`];
if (repeat > 1) parts.push(`${result.calls} tools/call`);
if (result.list) parts.push(`list_directory ${result.list.path}: ${result.list.count} entries`);
if (result.write) parts.push(`write_file ${result.write.path}: ${result.write.bytes_written} bytes`);
if (result.exec) parts.push(`execute_command ${result.exec.command}: exit ${result.exec.exit_code}, stdout ${JSON.stringify(result.exec.stdout)}`);
if (result.exitAfterEofMs !== undefined) parts.push(`exit 0 ${result.exitAfterEofMs} ms after end of input`);
process.stdout.write(`${JSON.stringify(result)}\n${parts.join('; ')}\n`);
