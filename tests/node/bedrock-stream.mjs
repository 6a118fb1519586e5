// Calls Bedrock's runtime through the relay with AWS's official SDK for JavaScript
// (@aws-sdk/client-bedrock-runtime), its endpoint pointed at the relay and the relay key as its Bedrock
// API key (bearer auth): ConverseStream, Converse, InvokeModelWithResponseStream, and a stream the
// upstream corrupts. The SDK checks every message's CRCs itself. Prints one JSON line per call.
// Usage: RELAY_URL=http://127.0.0.1:PORT RELAY_KEY=... MODEL=bedrock/anthropic... BROKEN_MODEL=bedrock/bdk-corrupt node bedrock-stream.mjs
import {
  BedrockRuntimeClient, ConverseStreamCommand, ConverseCommand, InvokeModelWithResponseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';

const client = new BedrockRuntimeClient({
  region: 'us-west-2',
  endpoint: process.env.RELAY_URL,
  token: { token: process.env.RELAY_KEY },
  authSchemePreference: ['httpBearerAuth'],
  maxAttempts: 1,
  // The Bedrock runtime client speaks HTTP/2 by default; the relay here serves plain-text HTTP/1.1.
  requestHandler: new NodeHttpHandler(),
});
const modelId = process.env.MODEL;
const messages = [{ role: 'user', content: [{ text: 'say hello' }] }];

const stream = await client.send(new ConverseStreamCommand({ modelId, messages }));
let text = '';
let usage = null;
let stopReason = null;
for await (const event of stream.stream) {
  if (event.contentBlockDelta) text += event.contentBlockDelta.delta?.text ?? '';
  if (event.messageStop) stopReason = event.messageStop.stopReason;
  if (event.metadata) usage = event.metadata.usage;
}
console.log(JSON.stringify({ call: 'converse-stream', text, stopReason, usage }));

const whole = await client.send(new ConverseCommand({ modelId, messages }));
console.log(JSON.stringify({ call: 'converse', text: whole.output?.message?.content?.[0]?.text, usage: whole.usage }));

const body = JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 64, messages: [{ role: 'user', content: 'say hello' }] });
const invoke = await client.send(new InvokeModelWithResponseStreamCommand({ modelId, contentType: 'application/json', body }));
let chunks = 0;
let metrics = null;
for await (const event of invoke.body) {
  if (!event.chunk) continue;
  chunks++;
  const json = JSON.parse(new TextDecoder().decode(event.chunk.bytes));
  metrics = json['amazon-bedrock-invocationMetrics'] ?? metrics;
}
console.log(JSON.stringify({ call: 'invoke-stream', chunks, metrics }));

let deltas = 0;
try {
  const broken = await client.send(new ConverseStreamCommand({ modelId: process.env.BROKEN_MODEL, messages }));
  for await (const event of broken.stream) {
    if (event.contentBlockDelta) deltas++;
  }
  console.log(JSON.stringify({ call: 'corrupt', deltas, error: null }));
} catch (error) {
  console.log(JSON.stringify({ call: 'corrupt', deltas, error: error.name, message: error.message }));
}
