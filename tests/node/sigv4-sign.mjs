// Signs requests with AWS's own Signature V4 signer (@smithy/signature-v4, what AWS's SDKs for
// JavaScript sign with), for comparison with the relay's. Reads a JSON array of cases from SIGV4_CASES:
// { method, host, path (as sent, percent-encoded once), contentType, body, date (ISO), region,
//   accessKeyId, secretAccessKey, sessionToken? }; prints one JSON line per case with its Authorization.
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, createHmac } from 'node:crypto';

class Sha256 {
  constructor(secret) { this.hash = secret ? createHmac('sha256', secret) : createHash('sha256'); }
  update(data) { this.hash.update(data); }
  async digest() { return new Uint8Array(this.hash.digest()); }
}

for (const c of JSON.parse(process.env.SIGV4_CASES)) {
  const signer = new SignatureV4({
    service: 'bedrock',
    region: c.region,
    credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken ?? undefined },
    sha256: Sha256,
    applyChecksum: false, // the body signed through its hash only, as the relay does (x-amz-content-sha256 is S3's)
  });
  const signed = await signer.sign({
    method: c.method, protocol: 'https:', hostname: c.host, path: c.path, query: {},
    headers: { host: c.host, 'content-type': c.contentType }, body: c.body,
  }, { signingDate: new Date(c.date) });
  console.log(JSON.stringify({ path: c.path, authorization: signed.headers.authorization ?? signed.headers.Authorization }));
}
