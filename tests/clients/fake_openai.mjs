// A fake OpenAI-compatible chat-completions endpoint for the end-to-end tests of the `openai` AI
// backend (node:http only). It listens on 127.0.0.1, port 0, and answers POST
// /v1/chat/completions (any path ending in /chat/completions) according to its mode.
//
//   const ai = await startFakeOpenAI({ mode: 'answer', answer: (body) => ({ answer: 'Hi!', confidence: 0.9 }) });
//   spawn ringcast with --ai-url ai.url ...
//   ai.requests   // the parsed JSON bodies received, in order (a body that is not JSON: its text)
//   ai.headers    // the request headers, in the same order (names lower-cased)
//   ai.setMode('error500')
//   await ai.close()
//
// startFakeOpenAI(options) -> Promise<{ url, port, requests, headers, setMode(mode, options), close() }>
//   options.mode     'answer' (default)  200 with a completion whose message content is the JSON of
//                                        answer(body); answer returns {answer, confidence, intent,
//                                        escalate} (or a Promise of it); a string is sent as the
//                                        content verbatim (to test malformed answers). Default answer:
//                                        {answer: 'Hello from the fake model', confidence: 0.9,
//                                        intent: 'greeting', escalate: false}
//                    'error500'         500 with an OpenAI-style error object
//                    'status401'        401 with an OpenAI-style invalid_api_key error
//                    'badjson'          200 with a body that is not JSON
//                    'hang'             never answers; close() destroys the sockets
//                    'slow'             the 'answer' reply, after options.delayMs (default 2000) ms
//   options.answer   (body) => answer object, for 'answer' and 'slow'
//   options.delayMs  the delay of 'slow'
// setMode(mode, options) switches mode for the next requests; options (answer, delayMs) given there
// replace the current ones. url is the full chat-completions URL, for --ai-url.
import http from 'node:http';

const MODES = new Set(['answer', 'error500', 'status401', 'badjson', 'hang', 'slow']);

const defaultAnswer = () => ({
  answer: 'Hello from the fake model',
  confidence: 0.9,
  intent: 'greeting',
  escalate: false,
});

function completion(content, model) {
  return {
    id: `chatcmpl-fake-${Date.now()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: model ?? 'fake-model',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  };
}

function sendJson(res, status, value) {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startFakeOpenAI(options = {}) {
  const state = { mode: 'answer', answer: defaultAnswer, delayMs: 2000 };
  const requests = [];
  const headers = [];
  const sockets = new Set();
  const timers = new Set();

  function configure(mode, opts = {}) {
    if (mode !== undefined) {
      if (!MODES.has(mode)) throw new Error(`fake_openai: unknown mode ${mode}`);
      state.mode = mode;
    }
    if (opts.answer !== undefined) state.answer = opts.answer;
    if (opts.delayMs !== undefined) state.delayMs = opts.delayMs;
  }
  configure(options.mode, options);

  async function reply(res, body) {
    const produced = await state.answer(body);
    const content = typeof produced === 'string' ? produced : JSON.stringify(produced);
    if (!res.destroyed) sendJson(res, 200, completion(content, body?.model));
  }

  async function handle(req, res, text) {
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    requests.push(body);
    headers.push({ ...req.headers });
    switch (state.mode) {
      case 'answer':
        return reply(res, body);
      case 'slow': {
        const timer = setTimeout(() => {
          timers.delete(timer);
          reply(res, body).catch((err) => res.destroy(err));
        }, state.delayMs);
        timers.add(timer);
        return undefined;
      }
      case 'error500':
        return sendJson(res, 500, { error: { message: 'The server had an error', type: 'server_error' } });
      case 'status401':
        return sendJson(res, 401, {
          error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' },
        });
      case 'badjson':
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('{"choices": [ this is not json');
      case 'hang':
        return undefined; // the socket stays open until the client gives up or close()
      default:
        throw new Error(`fake_openai: unknown mode ${state.mode}`);
    }
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) {
        return sendJson(res, 404, { error: { message: `no route ${req.method} ${req.url}` } });
      }
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((err) => {
        if (!res.headersSent) sendJson(res, 500, { error: { message: String(err?.message ?? err) } });
        else res.destroy();
      });
      return undefined;
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();

  return {
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    port,
    requests,
    headers,
    setMode: configure,
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
