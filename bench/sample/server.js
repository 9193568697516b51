// The book's sample API as a user would write it, for bench/journal.py to compare against: a plain
// `http` server and node-redis 3's callback API, every entry in one JSON string under `journal-key`.
// Written from issue 14's description. Usage: node server.js PORT REDIS_PORT, with REDIS_PASSWORD in
// the environment; SAMPLE_QUIET=1 drops the per-request console.log (the bench runs both). SAMPLE_KEEP=N
// keeps only the last N entries after each POST, so under a read/write mix its GET body stays the size
// of the journal's page instead of growing with every write (which would flatter the journal).
// SAMPLE_WAIT_MS=N sends `WAIT 1 N` after each SET and answers only once a replica confirmed it (503
// if none did in time): the journal's write guarantee, so the bench can say what that costs by itself.
'use strict';
const http = require('http');
const redis = require('redis');

const [port, redisPort] = process.argv.slice(2).map(Number);
const quiet = process.env.SAMPLE_QUIET === '1';
const keep = Number(process.env.SAMPLE_KEEP || 0);
const waitMs = Number(process.env.SAMPLE_WAIT_MS || 0);
const client = redis.createClient({host: '127.0.0.1', port: redisPort, password: process.env.REDIS_PASSWORD});
const key = 'journal-key';

function fail(response, err) {
  response.writeHead(500, {'Content-Type': 'text/plain'});
  response.end(String(err));
}

const server = http.createServer((request, response) => {
  if (!quiet) {
    console.log(request.url);
  }
  if (!request.url.startsWith('/api')) {
    response.writeHead(404);
    response.end();
    return;
  }
  client.get(key, (err, value) => {
    if (err) {
      fail(response, err);
      return;
    }
    const entries = JSON.parse(value || '[]');
    if (request.method === 'GET') {
      response.writeHead(200, {'Content-Type': 'application/json'});
      response.end(JSON.stringify(entries));
      return;
    }
    if (request.method !== 'POST') {
      response.writeHead(405);
      response.end();
      return;
    }
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      entries.push(JSON.parse(body));
      if (keep && entries.length > keep) {
        entries.splice(0, entries.length - keep);
      }
      client.set(key, JSON.stringify(entries), (setErr) => {
        if (setErr) {
          fail(response, setErr);
          return;
        }
        if (!waitMs) {
          response.writeHead(200);
          response.end();
          return;
        }
        client.send_command('WAIT', [1, waitMs], (waitErr, replicas) => {
          if (waitErr) {
            fail(response, waitErr);
            return;
          }
          response.writeHead(replicas >= 1 ? 200 : 503);
          response.end();
        });
      });
    });
  });
});

client.on('ready', () => server.listen(port, '127.0.0.1'));
