// A throw-away PostgreSQL cluster for end-to-end tests, started on a free loopback port with the
// project's deploy/local-postgres.sh (initdb + pg_ctl as the postgres user when root), stopped
// and removed afterwards. stop()/start() keep the data: the outage test takes the database away.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { closeClients, stopServer } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.resolve(here, '../../deploy/local-postgres.sh');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export async function startPostgres() {
  const base = mkdtempSync(path.join(os.tmpdir(), 'ringcast-pg-'));
  chmodSync(base, 0o755);
  const dir = path.join(base, 'data');
  const port = await freePort();
  const run = (...args) => execFileSync(script, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const url = run('start', dir, String(port));
  const db = {
    url,
    port,
    start: () => run('start', dir, String(port)),
    stop: () => run('stop', dir),
    async query(sql, params = []) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    destroy() {
      try {
        run('stop', dir);
      } finally {
        rmSync(base, { recursive: true, force: true });
      }
    },
  };
  return db;
}

// The after hook of a suite with its own database: its clients and servers go, then the database,
// which goes even when a server did not stop cleanly (that failure is still reported).
export async function stopSuite(db, ...servers) {
  closeClients();
  let failure;
  for (const server of servers) {
    try {
      await stopServer(server);
    } catch (e) {
      failure ??= e;
    }
  }
  db?.destroy();
  if (failure) throw failure;
}
