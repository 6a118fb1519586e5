// Streams one Gemini generateContent call and makes one non-streaming call through the relay with
// Google's official Gen AI SDK (@google/genai), its base URL pointed at the relay and the relay key as
// its API key. Prints one JSON line per call: the text, the usage metadata the SDK parsed.
// Usage: RELAY_URL=http://127.0.0.1:PORT RELAY_KEY=... MODEL=gemini/gemini-2.5-flash node gemini-stream.mjs
import { GoogleGenAI } from '@google/genai';

const ai = new GoogleGenAI({ apiKey: process.env.RELAY_KEY, httpOptions: { baseUrl: process.env.RELAY_URL } });
const model = process.env.MODEL ?? 'gemini/gemini-2.5-flash';

let text = '';
let usage = null;
let chunks = 0;
for await (const chunk of await ai.models.generateContentStream({ model, contents: 'say hello' })) {
  chunks++;
  text += chunk.text ?? '';
  usage = chunk.usageMetadata ?? usage;
}
console.log(JSON.stringify({ call: 'stream', chunks, text, usage }));

const whole = await ai.models.generateContent({ model, contents: 'say hello' });
console.log(JSON.stringify({ call: 'json', text: whole.text, usage: whole.usageMetadata }));
