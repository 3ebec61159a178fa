// The out-of-scope score's k-nearest-neighbour distances (src/trust/out-of-scope.ts), off the JavaScript thread.
#pragma once
#include <napi.h>

// knnDistances(bank: Float32Array (rows x size, unit rows), queries: Float32Array (n x size), size, k)
//   -> Promise<Float32Array> of n distances: each query, normalised to unit length, to its k-th nearest bank row.
Napi::Value KnnDistances(const Napi::CallbackInfo& info);
