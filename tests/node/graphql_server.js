// A GraphQL subscription server on the `graphql-ws` library (with `ws` and
// `graphql`), for evtop's integration tests.
// argv[2]: JSON options {port, token, count}: connection_init must carry
// {token}; each subscription yields `count` results 50 ms apart.
// Prints `PORT n`, then CONN, INIT <payload>, SUBSCRIBE <variables>.
'use strict';
const { WebSocketServer } = require('ws');
const { useServer } = require('graphql-ws/use/ws');
const { buildSchema } = require('graphql');
const opts = JSON.parse(process.argv[2] || '{}');
const log = (line) => process.stdout.write(line + '\n');
const schema = buildSchema(`
  type Order { id: ID!, shop: String!, total: Float! }
  type Refund { id: ID!, amount: Int! }
  type Query { hello: String }
  type Subscription { orderPlaced(shop: String!): Order!, refundIssued: Refund! }
`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const roots = {
  orderPlaced: async function* ({ shop }) {
    for (let i = 0; i < (opts.count || 3); i++) {
      await sleep(50);
      yield { orderPlaced: { id: `ord_${i}`, shop, total: 10.5 + i } };
    }
  },
  refundIssued: async function* () {
    for (let i = 0; i < (opts.count || 3); i++) {
      await sleep(50);
      yield { refundIssued: { id: `re_${i}`, amount: 100 * i } };
    }
  },
};
const wss = new WebSocketServer({ host: '127.0.0.1', port: opts.port || 0 });
wss.on('listening', () => log('PORT ' + wss.address().port));
wss.on('connection', () => log('CONN'));
useServer(
  {
    schema,
    roots: { subscription: roots },
    onConnect: (ctx) => {
      log('INIT ' + JSON.stringify(ctx.connectionParams || null));
      if (opts.token && (!ctx.connectionParams || ctx.connectionParams.token !== opts.token)) return false;
      return true;
    },
    onSubscribe: (_ctx, _id, payload) => {
      log('SUBSCRIBE ' + JSON.stringify(payload.variables || null));
    },
  },
  wss,
);
