// Sends one Chat Completions request through the relay with the official OpenAI Node SDK, retries
// on (maxRetries = 2), and counts the attempts the SDK makes: the SDK retries 408, 409, 429 and 5xx
// unless the response says x-should-retry: false. Prints {"status":N,"attempts":N,"shouldRetry":"..."}.
// Usage: RELAY_URL=http://127.0.0.1:PORT RELAY_KEY=... MODEL=openai/gpt-4o node refusal-retries.mjs
import OpenAI from 'openai';

let attempts = 0;
let shouldRetry = null;
const client = new OpenAI({
  apiKey: process.env.RELAY_KEY,
  baseURL: `${process.env.RELAY_URL}/v1`,
  maxRetries: 2,
  fetch: async (url, init) => {
    attempts++;
    const response = await fetch(url, init);
    shouldRetry = response.headers.get('x-should-retry');
    return response;
  },
});

try {
  await client.chat.completions.create({ model: process.env.MODEL, messages: [{ role: 'user', content: 'hi' }] });
  console.log(JSON.stringify({ status: 200, attempts, shouldRetry }));
} catch (error) {
  if (!(error instanceof OpenAI.APIError)) throw error;
  console.log(JSON.stringify({ status: error.status, attempts, shouldRetry }));
}
