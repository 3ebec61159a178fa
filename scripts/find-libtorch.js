#!/usr/bin/env node
// Tells binding.gyp where LibTorch is. Order: the LIBTORCH environment variable (an unpacked LibTorch
// folder), then Debian's libtorch-dev, then the LibTorch inside an installed Python `torch`.
// Usage: node scripts/find-libtorch.js include|libdir|libs|defines
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

function fromFolder(root, cxx11Abi) {
  return {
    include: [path.join(root, 'include'), path.join(root, 'include/torch/csrc/api/include')],
    libdir: path.join(root, 'lib'),
    cxx11Abi,
  };
}

function fromPythonTorch() {
  try {
    const out = execFileSync('python3', ['-c',
      'import os, torch; print(os.path.dirname(torch.__file__)); print(int(torch._C._GLIBCXX_USE_CXX11_ABI))'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n');
    if (fs.existsSync(path.join(out[0], 'include/torch'))) return fromFolder(out[0], out[1] === '1');
  } catch { /* no Python torch */ }
  return undefined;
}

function locate() {
  if (process.env.LIBTORCH) return fromFolder(path.resolve(process.env.LIBTORCH), process.env.LIBTORCH_CXX11_ABI !== '0');
  if (fs.existsSync('/usr/include/torch/csrc/api/include')) {
    return { include: ['/usr/include/torch/csrc/api/include'], libdir: '', cxx11Abi: true };
  }
  const python = fromPythonTorch();
  if (python) return python;
  console.error('wbc: LibTorch not found. Install it with `apt-get install -y libtorch-dev`, or set LIBTORCH to an unpacked LibTorch folder.');
  process.exit(1);
}

const found = locate();
const libs = ['-ltorch', '-ltorch_cpu', '-lc10'];
if (found.libdir) {
  libs.unshift(`-L${found.libdir}`, `-Wl,-rpath,${found.libdir}`);
  // A CUDA build keeps its kernels in torch_cuda, which nothing references by symbol: keep it linked.
  if (fs.existsSync(path.join(found.libdir, 'libtorch_cuda.so'))) libs.push('-Wl,--no-as-needed', '-ltorch_cuda', '-Wl,--as-needed');
}
const answers = {
  include: found.include.join(' '),
  libs: libs.join(' '),
  defines: `_GLIBCXX_USE_CXX11_ABI=${found.cxx11Abi ? 1 : 0}`,
};
process.stdout.write(answers[process.argv[2]] ?? '');
