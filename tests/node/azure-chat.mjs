// Streams one chat completion through the relay with the official OpenAI Node SDK's AzureOpenAI
// client, pointed at the relay as an Azure resource endpoint, the relay key as its api-key, the
// relay's model name as its deployment. Prints one JSON line: the text, the usage, the chunk count.
// Usage: RELAY_URL=http://127.0.0.1:PORT RELAY_KEY=... DEPLOYMENT=azure/gpt-4o node azure-chat.mjs
import { AzureOpenAI } from 'openai';

const client = new AzureOpenAI({
  endpoint: process.env.RELAY_URL,
  apiKey: process.env.RELAY_KEY,
  apiVersion: '2024-10-21',
  deployment: process.env.DEPLOYMENT,
});
let text = '';
let usage = null;
let chunks = 0;
const stream = await client.chat.completions.create({
  model: process.env.DEPLOYMENT,
  messages: [{ role: 'user', content: 'say hello' }],
  stream: true,
  stream_options: { include_usage: true },
});
for await (const chunk of stream) {
  chunks++;
  text += chunk.choices[0]?.delta?.content ?? '';
  usage = chunk.usage ?? usage;
}
console.log(JSON.stringify({ chunks, text, usage }));
