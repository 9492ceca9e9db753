// @peculiar/x509 resolves its parts through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';

/**
 * X.509 for the control plane, with @peculiar/x509 on Node's WebCrypto: a maintained, typed library
 * that builds certificates with the extensions Go's TLS stack checks (SANs, key usages, basic
 * constraints, key identifiers), and no shelling out to openssl. Keys are ECDSA P-256: generated in
 * a millisecond (RSA takes tens), and accepted everywhere Kubernetes takes a key (TLS, etcd, the
 * service-account token signer).
 */

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
const crypto = webcrypto;
x509.cryptoProvider.set(crypto);

const keyAlgorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' } as const;
const hourMs = 3_600_000;
const dayMs = 24 * hourMs;

/** A certificate and its private key, both PEM. */
export interface CertPair {
  certPem: string;
  keyPem: string;
}

/** A certificate authority that can sign: its PEMs and the objects that sign. */
export interface Authority extends CertPair {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

export interface LeafSpec {
  commonName: string;
  /** the O= attributes: Kubernetes reads them as the user's groups */
  organizations?: readonly string[];
  dnsNames?: readonly string[];
  ips?: readonly string[];
  /** serverAuth, clientAuth, or both (etcd peers) */
  usages: readonly ('server' | 'client')[];
}

/** When certificates start and end being valid. */
export interface Validity {
  /** the issue time; certificates are valid from an hour before it, for clocks a little behind */
  now: Date;
  /** how long a leaf certificate lasts (default 365 days); an authority lasts ten times as long */
  days?: number;
}

function newKeys(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify']);
}

/** PKCS#8 PEM (`PRIVATE KEY`), which Go's TLS, etcd and the token signer all read. */
async function privateKeyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

/** A positive, random 128-bit serial, as RFC 5280 asks (unique per issuer, at most 20 octets). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

function name(commonName: string, organizations: readonly string[] = []): x509.JsonName {
  return [...organizations.map((o) => ({ O: [o] })), { CN: [commonName] }];
}

function span(validity: Validity, factor: number): { notBefore: Date; notAfter: Date } {
  const start = validity.now.getTime();
  return { notBefore: new Date(start - hourMs), notAfter: new Date(start + (validity.days ?? 365) * factor * dayMs) };
}

/** A self-signed certificate authority. */
export async function createAuthority(commonName: string, validity: Validity): Promise<Authority> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: name(commonName),
    keys,
    signingAlgorithm,
    ...span(validity, 10),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys, certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

/** A leaf certificate signed by `ca`, with a fresh key. */
export async function issue(ca: Authority, spec: LeafSpec, validity: Validity): Promise<CertPair> {
  const keys = await newKeys();
  const sans: x509.JsonGeneralNames = [
    ...(spec.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(spec.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const usages = spec.usages.map((u) => (u === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: name(spec.commonName, spec.organizations),
    issuer: ca.cert.subjectName,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm,
    ...span(validity, 1),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(usages),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
      ...(sans.length > 0 ? [new x509.SubjectAlternativeNameExtension(sans)] : []),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

/** The service-account token signing key pair: the API server and controller-manager read these PEMs. */
export async function signingKeyPair(): Promise<{ publicKeyPem: string; privateKeyPem: string }> {
  const keys = await newKeys();
  const spki = await crypto.subtle.exportKey('spki', keys.publicKey);
  return { publicKeyPem: x509.PemConverter.encode(spki, 'PUBLIC KEY'), privateKeyPem: await privateKeyPem(keys.privateKey) };
}
