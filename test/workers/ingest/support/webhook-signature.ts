/** The X-Shopify-Hmac-Sha256 value Shopify sends: base64 of HMAC-SHA256(body) under the webhook secret. */
export async function signWebhook(body: string | Uint8Array, secret: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const bytes = typeof body === 'string' ? encoder.encode(body) : body;
  return btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.sign('HMAC', key, bytes))));
}
