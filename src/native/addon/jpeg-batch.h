// decodeJpegs(files, storedSize, out, threads) -> Promise<string[]>: decodes a batch of JPEG files to
// storedSize × storedSize RGB squares (jpeg-decode.h), file i at byte i × storedSize² × 3 of `out`, on
// `threads` threads off the JavaScript thread. Each file's entry is "" when decoded, else why the native
// decoder declined it (the caller then decodes that file with sharp); one file never fails the batch.
#pragma once
#include <napi.h>

Napi::Value DecodeJpegs(const Napi::CallbackInfo& info);
