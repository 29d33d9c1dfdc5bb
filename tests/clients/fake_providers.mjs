// Fake messaging providers for the outbound delivery tests (node:http and node:net only): one
// HTTP server that answers as Twilio's Messages API, the WhatsApp Cloud API messages endpoint
// and Instagram's Send API, and an SMTP server. Both record what they get and can fail on demand,
// per recipient.
//
//   const fake = await startFakeProviders();
//   spawn ringcast with --twilio-api-url fake.url --whatsapp-api-url fake.url
//                       --instagram-api-url fake.url --smtp-url fake.smtpUrl ...
//   fake.requests  // [{provider, path, headers, body, recipient, id}] in arrival order; body is the
//                  // parsed form (twilio) or JSON (meta); id is the message id answered (none on a failure)
//   fake.mails     // [{from, to: [..], data, headers, text, recipient, id}] (SMTP DATA as received;
//                  // headers parsed, text the decoded body)
//   fake.failFor('+15550001111', { status: 500, times: 2 })  // the next 2 requests (or mails) for
//                  // this recipient get HTTP 500 (or, for SMTP, the reply code, e.g. 451 or 550, at
//                  // the end of DATA); times defaults to Infinity
//   fake.hangFor(recipient)  // requests for this recipient are never answered
//   fake.of(recipient)       // requests and mails for one recipient
//   await fake.close()
//
// Recipients are what the provider is asked to deliver to: Twilio's To without the "whatsapp:"
// prefix, the Cloud API's to, Instagram's recipient.id, the SMTP RCPT address.
import http from 'node:http';
import net from 'node:net';

function sendJson(res, status, value) {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

// The error bodies each provider sends with a refusal.
function errorBody(provider, status) {
  if (provider === 'twilio') return { code: status === 400 ? 21211 : 20500, message: status === 400 ? "The 'To' number is not a valid phone number." : 'Internal Server Error', status };
  return { error: { message: status === 400 ? '(#100) Invalid parameter' : 'An unknown error occurred', type: 'OAuthException', code: status === 400 ? 100 : 1 } };
}

// Parses an RFC 5322 message as composed by ringcast: headers (unfolded) and the base64 body.
function parseMail(data) {
  const split = data.indexOf('\r\n\r\n');
  const head = data.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const headers = {};
  for (const line of head.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  const raw = data.slice(split + 4);
  const text = /base64/i.test(headers['content-transfer-encoding'] ?? '') ? Buffer.from(raw.replace(/\s+/g, ''), 'base64').toString('utf8') : raw;
  return { headers, text };
}

export async function startFakeProviders() {
  const requests = [];
  const mails = [];
  const failures = new Map(); // recipient -> { status, times }
  const hanging = new Set();
  const sockets = new Set();
  let counter = 0;

  function failureFor(recipient) {
    const f = failures.get(recipient);
    if (!f || f.times <= 0) return null;
    f.times -= 1;
    return f.status;
  }

  function route(req, text) {
    const url = new URL(req.url, 'http://fake');
    let m;
    if ((m = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(url.pathname))) {
      const body = Object.fromEntries(new URLSearchParams(text));
      return { provider: 'twilio', body, recipient: (body.To ?? '').replace(/^whatsapp:/, ''), account: m[1] };
    }
    if (url.pathname === '/v19.0/me/messages') {
      const body = JSON.parse(text);
      return { provider: 'instagram', body, recipient: body?.recipient?.id };
    }
    if ((m = /^\/v19\.0\/([^/]+)\/messages$/.exec(url.pathname))) {
      const body = JSON.parse(text);
      return { provider: 'whatsapp', body, recipient: body?.to, phoneNumberId: m[1] };
    }
    return null;
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let r;
      try {
        r = req.method === 'POST' ? route(req, Buffer.concat(chunks).toString('utf8')) : null;
      } catch {
        return sendJson(res, 400, { error: { message: 'the body is not JSON' } });
      }
      if (!r) return sendJson(res, 404, { error: { message: `no route ${req.method} ${req.url}` } });
      const record = { ...r, path: req.url, headers: { ...req.headers }, at: Date.now() };
      requests.push(record);
      if (hanging.has(r.recipient)) return undefined;
      const failure = failureFor(r.recipient);
      if (failure) return sendJson(res, failure, errorBody(r.provider, failure));
      counter += 1;
      if (r.provider === 'twilio') {
        record.id = `SM${String(counter).padStart(32, '0')}`;
        return sendJson(res, 201, { sid: record.id, status: 'queued', to: r.body.To, from: r.body.From, body: r.body.Body });
      }
      if (r.provider === 'whatsapp') {
        record.id = `wamid.fake${counter}`;
        return sendJson(res, 200, { messaging_product: 'whatsapp', contacts: [{ input: r.recipient, wa_id: r.recipient }], messages: [{ id: record.id }] });
      }
      record.id = `mid.fake${counter}`;
      return sendJson(res, 200, { recipient_id: r.recipient, message_id: record.id });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  // A minimal SMTP server: EHLO/HELO, MAIL, RCPT, DATA (dot-unstuffed), RSET, NOOP, QUIT.
  const smtp = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = '';
    let inData = false;
    let mail = { from: null, to: [], data: '' };
    const reply = (line) => socket.write(`${line}\r\n`);
    reply('220 fake.smtp ESMTP ready');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0 && !buffer.startsWith('.\r\n')) return;
          const body = buffer.startsWith('.\r\n') ? '' : buffer.slice(0, end + 2);
          buffer = buffer.startsWith('.\r\n') ? buffer.slice(3) : buffer.slice(end + 5);
          inData = false;
          mail.data = Buffer.from(body.replace(/^\.\./gm, '.'), 'latin1').toString('utf8');
          const recipient = mail.to[0];
          const record = { ...mail, recipient, ...parseMail(mail.data), at: Date.now() };
          mails.push(record);
          const failure = failureFor(recipient);
          if (failure) reply(`${failure} ${failure >= 500 ? '5.1.1 mailbox unavailable' : '4.3.0 try again later'}`);
          else {
            record.id = record.headers['message-id'];
            reply('250 2.0.0 OK queued');
          }
          mail = { from: null, to: [], data: '' };
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') socket.write('250-fake.smtp greets you\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n');
        else if (verb === 'HELO') reply('250 fake.smtp');
        else if (verb === 'MAIL') {
          mail.from = /<([^>]*)>/.exec(line)?.[1] ?? '';
          reply('250 2.1.0 OK');
        } else if (verb === 'RCPT') {
          mail.to.push(/<([^>]*)>/.exec(line)?.[1] ?? '');
          reply('250 2.1.5 OK');
        } else if (verb === 'DATA') {
          inData = true;
          reply('354 end with <CRLF>.<CRLF>');
        } else if (verb === 'RSET') {
          mail = { from: null, to: [], data: '' };
          reply('250 OK');
        } else if (verb === 'NOOP') reply('250 OK');
        else if (verb === 'QUIT') {
          reply('221 bye');
          socket.end();
          return;
        } else reply('502 command not implemented');
      }
    });
  });

  const listen = (srv) => new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve(srv.address().port));
  });
  const port = await listen(server);
  const smtpPort = await listen(smtp);

  return {
    url: `http://127.0.0.1:${port}`,
    smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
    requests,
    mails,
    failFor(recipient, { status, times = Infinity }) {
      failures.set(recipient, { status, times });
    },
    hangFor(recipient) {
      hanging.add(recipient);
    },
    of(recipient) {
      return [...requests.filter((r) => r.recipient === recipient), ...mails.filter((m) => m.recipient === recipient)];
    },
    close() {
      for (const s of sockets) s.destroy();
      return Promise.all([new Promise((r) => server.close(() => r())), new Promise((r) => smtp.close(() => r()))]);
    },
  };
}
