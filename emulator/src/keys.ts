import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

/**
 * Token-signing keys. Entra signs with RS256 keys published at `/{tenant}/discovery/v2.0/keys` and rolls
 * them over regularly; clients must pick the key by `kid` and refetch the set on an unknown one.
 * https://learn.microsoft.com/entra/identity-platform/signing-key-rollover
 */
export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export interface KeyStore {
  /** The key new tokens are signed with. */
  current(): SigningKey;
  /** Keys published in the JWKS (current and not yet retired). */
  published(): SigningKey[];
  /** Any key the emulator ever signed with and has not retired, by `kid`. */
  find(kid: string): SigningKey | undefined;
  /** Makes a new key current; the previous stays published so tokens it signed keep verifying. Returns the new kid. */
  rotate(): Promise<string>;
  /** Stops publishing a key: tokens it signed no longer verify anywhere. */
  retire(kid: string): void;
}

async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  // Entra's JWKS entries carry kty, use, kid, n, e (and x5t/x5c, which clients do not need).
  return { kid, privateKey, publicJwk: { kty: jwk.kty, use: 'sig', kid, n: jwk.n, e: jwk.e, alg: 'RS256' } };
}

export async function createKeyStore(): Promise<KeyStore> {
  const keys: SigningKey[] = [await newSigningKey()];
  return {
    current: () => keys[keys.length - 1]!,
    published: () => [...keys],
    find: (kid) => keys.find((key) => key.kid === kid),
    async rotate() {
      const key = await newSigningKey();
      keys.push(key);
      return key.kid;
    },
    retire(kid) {
      const index = keys.findIndex((key) => key.kid === kid);
      if (index === -1) throw new Error(`no published key has kid ${kid}`);
      if (keys.length === 1) throw new Error('cannot retire the only signing key: rotate first');
      keys.splice(index, 1);
    },
  };
}
