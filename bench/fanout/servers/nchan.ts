/**
 * The C reference: nginx with the nchan module (Debian's nginx-light and
 * libnginx-mod-nchan), one worker process, `nchan_subscriber eventsource` at
 * `/events?topic=…`, `nchan_publisher` at `/pub?topic=…`.
 *
 * This process is the harness only: it starts nginx (inheriting this
 * process's core pinning, so nginx runs on the server core), publishes each
 * update as an HTTP POST to nchan's publisher location over keep-alive
 * connections (the in-process publishers of the other servers have no HTTP
 * step; here the POST is handled inside the nginx worker and counted in its
 * CPU), and reports the nginx worker's CPU and RSS from /proc instead of its
 * own. nginx is stopped when this process exits, and also when it is killed:
 * nginx runs under a shell that kills it once this process's pipe closes.
 *
 * Needs: `apt-get install -y nginx-light libnginx-mod-nchan`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOPIC, runServer } from '../server-harness.js';

const MODULE = '/usr/lib/nginx/modules/ngx_nchan_module.so';
const NGINX = '/usr/sbin/nginx';
if (!existsSync(NGINX) || !existsSync(MODULE)) {
  throw new Error(
    'nchan needs nginx and its module: apt-get install -y nginx-light libnginx-mod-nchan',
  );
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    probe.close(() => {
      resolve();
    });
  });
  return port;
}

const port = await freePort();
const prefix = mkdtempSync(join(tmpdir(), 'ssehub-bench-nchan-'));
writeFileSync(
  join(prefix, 'nginx.conf'),
  `daemon off;
master_process on;
user root;
worker_processes 1;
worker_rlimit_nofile 400000;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
load_module ${MODULE};
events { worker_connections 300000; multi_accept on; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  nchan_shared_memory_size 512M;
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location = /events {
      nchan_subscriber eventsource;
      nchan_channel_id $arg_topic;
    }
    location = /pub {
      nchan_publisher;
      nchan_channel_id $arg_topic;
      nchan_message_buffer_length 100;
      nchan_message_timeout 60s;
    }
  }
}
`,
);

const nginx = spawn(
  'sh',
  [
    '-c',
    `${NGINX} -p ${prefix} -e ${prefix}/error.log -c ${prefix}/nginx.conf & pid=$!; read _; kill $pid; wait $pid`,
  ],
  { stdio: ['pipe', 'inherit', 'inherit'] },
);
const stop = (): void => {
  nginx.stdin.end();
  rmSync(prefix, { recursive: true, force: true });
};
process.on('exit', stop);

/** Waits until nginx answers, then finds its worker (the master's child). */
async function start(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (!existsSync(join(prefix, 'nginx.pid'))) continue;
    const master = readFileSync(join(prefix, 'nginx.pid'), 'utf8').trim();
    const children = spawnSync('pgrep', ['-P', master], { encoding: 'utf8' }).stdout.trim();
    if (children !== '') return Number(children.split('\n')[0]);
  }
  throw new Error(`nginx did not start; see ${prefix}/error.log`);
}
const worker = await start();

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** CPU (µs) and RSS (bytes) of the nginx worker, read from /proc. */
function workerUsage(): { cpuUserUs: number; cpuSystemUs: number; rss: number } {
  const stat = readFileSync(`/proc/${worker}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = 1e6 / 100; // USER_HZ is 100 on Linux
  const status = readFileSync(`/proc/${worker}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return {
    cpuUserUs: Number(fields[11]) * ticks,
    cpuSystemUs: Number(fields[12]) * ticks,
    rss: rssKb * 1024,
  };
}

/**
 * Subscribers on the channel, as nchan counts them (its channel info, a GET
 * on the publisher location), polled: the harness asks synchronously.
 */
let subscriberCount = 0;
function pollSubscribers(topic: string): void {
  const req = request(
    {
      host: '127.0.0.1',
      port,
      method: 'GET',
      path: `/pub?topic=${encodeURIComponent(topic)}`,
      agent,
      headers: { accept: 'text/json' },
    },
    (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (data: string) => (body += data));
      res.on('end', () => {
        // 404: no channel yet (nobody subscribed, nothing published).
        if (res.statusCode === 200) {
          subscriberCount = (JSON.parse(body) as { subscribers: number }).subscribers;
        }
        setTimeout(pollSubscribers, 250, topic).unref();
      });
    },
  );
  req.on('error', () => setTimeout(pollSubscribers, 250, topic).unref());
  req.end();
}
pollSubscribers(TOPIC);

runServer({
  name: 'nchan',
  port,
  subscribe() {
    throw new Error('nginx serves the subscribers');
  },
  publish(topic, _seq, payload) {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/pub?topic=${encodeURIComponent(topic)}`,
        agent,
        headers: { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        res.resume();
        if (res.statusCode !== 201 && res.statusCode !== 202) {
          console.error(`nchan publish answered ${res.statusCode}`);
        }
      },
    );
    req.on('error', (error) => {
      console.error('nchan publish failed', error);
    });
    req.end(payload);
  },
  subscribers: () => subscriberCount,
  usage: workerUsage,
});
