// Drives a three-turn Responses WebSocket conversation through the relay with the official
// OpenAI Node SDK's ResponsesWS (openai npm package, "ws" transport), chaining each turn to the
// previous one with previous_response_id. Prints one JSON line per turn, then {"done":true}.
// Usage: RELAY_URL=http://127.0.0.1:PORT RELAY_KEY=... MODEL=openai/gpt-4o node responses-ws.mjs
import OpenAI from 'openai';
import { ResponsesWS } from 'openai/resources/responses/ws';

const client = new OpenAI({ apiKey: process.env.RELAY_KEY, baseURL: `${process.env.RELAY_URL}/v1` });
const socket = new ResponsesWS(client);
const model = process.env.MODEL ?? 'openai/gpt-4o';

function nextTurn() {
  return new Promise((resolve, reject) => {
    let text = '';
    const onEvent = (event) => {
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed' || event.type === 'response.failed' || event.type === 'response.incomplete') {
        socket.off('event', onEvent);
        socket.off('error', onError);
        resolve({ type: event.type, id: event.response.id, previous: event.response.previous_response_id, usage: event.response.usage, text });
      }
    };
    const onError = (error) => {
      socket.off('event', onEvent);
      socket.off('error', onError);
      reject(error);
    };
    socket.on('event', onEvent);
    socket.on('error', onError);
  });
}

let previous = null;
for (let turn = 1; turn <= 3; turn++) {
  const done = nextTurn();
  socket.send({
    type: 'response.create',
    model,
    store: false,
    ...(previous ? { previous_response_id: previous } : {}),
    input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: `turn ${turn}` }] }],
    tools: [],
  });
  const result = await done;
  console.log(JSON.stringify({ turn, ...result }));
  previous = result.id;
}

socket.close({ code: 1000, reason: 'node done' });
console.log(JSON.stringify({ done: true }));
