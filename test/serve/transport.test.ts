import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { buildApp } from '../../src/serve/app';
import { oneReview } from '../../src/serve/context';
import { openableUrls } from '../../src/serve/listen-address';
import { serve } from '../../src/serve/serve';
import { chooseToken } from '../../src/serve/token-source';
import { wbc } from '../helpers/cli';
import { makeTempDir } from '../helpers/images';
import { apiFixture } from './fixture';
import { makeServedFolder } from './served-folder';

const TOKEN = 'a-long-enough-token-0123456789';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('the token comes from a file, WBC_TOKEN or --token (which warns), from one source only', () => {
  const dir = makeTempDir();
  const file = path.join(dir, 'token');
  fs.writeFileSync(file, `${TOKEN}\n`, { mode: 0o600 });
  assert.deepEqual(chooseToken({ file }), { token: TOKEN, warnings: [] });
  fs.chmodSync(file, 0o644);
  assert.match(chooseToken({ file }).warnings.join('\n'), /other users can read the token file/);
  assert.deepEqual(chooseToken({ environment: TOKEN }), { token: TOKEN, warnings: [] });
  assert.deepEqual(chooseToken({ environment: '' }), { token: undefined, warnings: [] });
  const option = chooseToken({ option: TOKEN });
  assert.equal(option.token, TOKEN);
  assert.match(option.warnings.join('\n'), /--token on the command line can be read by every user of this host \(ps\)/);
  assert.throws(() => chooseToken({ file, environment: TOKEN }), /one way only/);
  assert.throws(() => chooseToken({ environment: TOKEN, option: TOKEN }), /one way only/);
  fs.writeFileSync(file, ' \n');
  assert.throws(() => chooseToken({ file }), /is empty/);
  assert.throws(() => chooseToken({ file: path.join(dir, 'absent') }), /no such file/);
});

test('wbc serve warns about --token before anything else, and refuses two token sources', () => {
  const missing = path.join(makeTempDir(), 'no-model');
  const warned = wbc(['serve', missing, missing, '--token', TOKEN]);
  assert.equal(warned.status, 1);
  assert.match(warned.stderr, /^warning: --token on the command line can be read by every user/m);
  const both = wbc(['serve', missing, missing, '--token', TOKEN], { WBC_TOKEN: TOKEN });
  assert.equal(both.status, 1);
  assert.match(both.stderr, /give the token one way only/);
});

test('the URL to open names an address a browser can reach, never 0.0.0.0', () => {
  for (const host of ['0.0.0.0', '::']) {
    const urls = openableUrls(host, 8080, 'http');
    assert.ok(urls.length >= 1);
    assert.equal(urls[0], `http://${os.hostname()}:8080/`, 'the host name first');
    for (const url of urls) {
      assert.doesNotMatch(url, /0\.0\.0\.0|\[::\]/);
      assert.doesNotThrow(() => new URL(url), url);
    }
  }
  assert.deepEqual(openableUrls('192.168.1.20', 8443, 'https'), ['https://192.168.1.20:8443/']);
  assert.deepEqual(openableUrls('fd00::1', 80, 'http'), ['http://[fd00::1]:80/']);
});

test('the token cookie is named after the server\'s port; every answer carries Cross-Origin-Resource-Policy', async () => {
  const { app } = await apiFixture({ token: TOKEN, loopbackOnly: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const port = (app.server.address() as { port: number }).port;
    const base = `http://127.0.0.1:${port}`;
    const opened = await fetch(`${base}/?token=${TOKEN}`, { redirect: 'manual' });
    assert.equal(opened.status, 303);
    const cookie = opened.headers.get('set-cookie') ?? '';
    assert.match(cookie, new RegExp(`^wbc_token_${port}=${TOKEN}; HttpOnly; SameSite=Strict; Path=/$`), 'no Secure flag over plain HTTP');
    const withCookie = await fetch(`${base}/api/cells`, { headers: { cookie: cookie.split(';')[0] } });
    assert.equal(withCookie.status, 200);
    const otherPort = await fetch(`${base}/api/cells`, { headers: { cookie: `wbc_token_${port + 1}=${TOKEN}; wbc_token=${TOKEN}` } });
    assert.equal(otherPort.status, 401, 'another server\'s cookie is not this one\'s');
    const bearer = { authorization: `Bearer ${TOKEN}` };
    for (const [url, headers, status] of [
      ['/', bearer, 200], ['/app.js', bearer, 200], ['/api/cells/1/image', bearer, 200], ['/api/info', bearer, 200],
      ['/api/cells/99', bearer, 404], ['/api/cells', {}, 401], ['/api/export/predictions.csv', bearer, 200],
    ] as const) {
      const response = await fetch(`${base}${url}`, { headers });
      assert.equal(response.status, status, url);
      assert.equal(response.headers.get('cross-origin-resource-policy'), 'same-origin', url);
    }
  } finally {
    await app.close();
  }
});

const NO_OPENSSL = !hasOpenssl() && 'no openssl command to make a self-signed certificate (Node cannot make certificates itself)';

/** A self-signed certificate for 127.0.0.1 and localhost, valid for a day, and its key, as PEM files. */
function selfSignedCertificate(): [string, string] {
  const dir = makeTempDir();
  const [certFile, keyFile] = [path.join(dir, 'cert.pem'), path.join(dir, 'key.pem')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  return [certFile, keyFile];
}

test('with a certificate and key the server speaks HTTPS and marks the token cookie Secure', { skip: NO_OPENSSL }, async () => {
  const [certFile, keyFile] = selfSignedCertificate();
  const tls = { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) };
  const { context } = await apiFixture({ token: TOKEN, loopbackOnly: false });
  const app = buildApp(oneReview(context), { tls });
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const port = (app.server.address() as { port: number }).port;
    const answer = await new Promise<{ status: number; cookie: string }>((resolve, reject) => {
      https.get(`https://127.0.0.1:${port}/?token=${TOKEN}`, { ca: tls.cert }, (response) => {
        response.resume();
        resolve({ status: response.statusCode ?? 0, cookie: String(response.headers['set-cookie']) });
      }).on('error', reject);
    });
    assert.equal(answer.status, 303);
    assert.match(answer.cookie, new RegExp(`^wbc_token_${port}=${TOKEN}; .*; Secure$`));
    await assert.rejects(fetch(`http://127.0.0.1:${port}/api/info`), 'no plain HTTP on the same port');
  } finally {
    await app.close();
  }
});

test('wbc serve\'s library: HTTPS from --tls-cert/--tls-key without a warning, plain HTTP beyond loopback with one', { skip: NO_OPENSSL }, async () => {
  const { model, images, dir } = await makeServedFolder(1);
  const [tlsCert, tlsKey] = selfSignedCertificate();
  const options = (name: string) => ({ port: 0, db: path.join(dir, `${name}.sqlite`), exportDir: path.join(dir, name), threads: 1, token: TOKEN });
  await assert.rejects(serve(model, images, { ...options('half'), tlsCert }), /--tls-cert and --tls-key go together/);
  const secure = await serve(model, images, { ...options('secure'), host: '0.0.0.0', tlsCert, tlsKey });
  try {
    assert.deepEqual(secure.warnings, []);
    assert.ok(secure.urls.every((url) => url.startsWith('https://') && !url.includes('0.0.0.0')), secure.urls.join(' '));
  } finally {
    await secure.close();
  }
  const plain = await serve(model, images, { ...options('plain'), host: '0.0.0.0' });
  try {
    assert.equal(plain.warnings.length, 1);
    assert.match(plain.warnings[0], /^plain HTTP beyond loopback/);
  } finally {
    await plain.close();
  }
  const local = await serve(model, images, { ...options('local') });
  try {
    assert.deepEqual(local.warnings, [], 'loopback needs no warning');
    assert.match(local.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  } finally {
    await local.close();
  }
});
