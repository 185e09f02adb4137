// Subscribes with the stock graphql-ws client and prints one JSON line per event:
// {"connected":true}, {"next": payload}, {"error": ...}, {"complete": true}.
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, token, dossierId] = process.argv.slice(2);
const print = (value) => process.stdout.write(JSON.stringify(value) + "\n");
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  retryAttempts: 0,
  on: { connected: () => print({ connected: true }) },
});
client.subscribe(
  { query: "subscription($id: ID!) { dossierUpdates(dossierId: $id) { event entry { body } } }",
    variables: { id: dossierId } },
  {
    next: (payload) => print({ next: payload }),
    error: (error) => { print({ error: String(error?.reason ?? error) }); process.exit(0); },
    complete: () => { print({ complete: true }); client.dispose(); process.exit(0); },
  },
);
