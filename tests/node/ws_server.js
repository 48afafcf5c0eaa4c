// A plain WebSocket server on node's `ws`, for evtop's integration tests.
// argv[2]: JSON options {port, frames, autoPong, close: [code, reason], waitSubscribe}.
// Prints `PORT n`, then one line per event: CONN, RECV <text>, PING.
'use strict';
const { WebSocketServer } = require('ws');
const opts = JSON.parse(process.argv[2] || '{}');
const wss = new WebSocketServer({ host: '127.0.0.1', port: opts.port || 0, autoPong: opts.autoPong !== false });
const log = (line) => process.stdout.write(line + '\n');
wss.on('listening', () => log('PORT ' + wss.address().port));
wss.on('connection', (ws) => {
  log('CONN');
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    for (let i = 0; i < (opts.frames || 0); i++) ws.send(JSON.stringify({ type: 'tick', seq: i }));
    if (opts.close) ws.close(opts.close[0], opts.close[1]);
  };
  ws.on('ping', () => log('PING'));
  ws.on('message', (data) => {
    log('RECV ' + data.toString());
    start();
  });
  if (!opts.waitSubscribe) start();
});
