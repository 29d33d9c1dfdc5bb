// Signed webhook requests as the providers send them, computed independently with Node's crypto:
// shared by the inbound webhook tests (webhooks.test.mjs) and the status callback tests
// (outbound_status.test.mjs).
import { createHmac } from 'node:crypto';
import http from 'node:http';

// ---- signatures, as the providers document them ----

// Twilio: base64 HMAC-SHA1 of the URL followed by the POST parameters sorted by name, each name
// then value.
export function twilioSignature(token, url, params) {
  const data = url + Object.keys(params).sort().map((k) => k + params[k]).join('');
  return createHmac('sha1', token).update(data).digest('base64');
}
// Meta: "sha256=" and the hex HMAC-SHA256 of the raw body.
export const metaSignature = (secret, body) => 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
// Mailgun: hex HMAC-SHA256 of timestamp + token.
export const mailgunSignature = (key, timestamp, token) => createHmac('sha256', key).update(timestamp + token).digest('hex');

// ---- HTTP ----

export function request(server, { method = 'POST', path, headers = {}, body = '', agent }) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: server.port, method, path, headers: { 'Content-Length': Buffer.byteLength(body), ...headers }, agent },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

