// Entry point of the native addon: tunes malloc, then exports the Engine and a few engine-wide helpers.
#include <malloc.h>

#include <climits>
#include <cstring>
#include <napi.h>
#include <torch/torch.h>

#include "args.h"
#include "batch-args.h"
#include "batch.h"
#include "engine-binding.h"
#include "errors.h"
#include "jpeg-batch.h"
#include "knn.h"
#include "process-group.h"
#include "work-thread.h"

namespace {

// Fresh pages are slow to fault in on the machines we target; LibTorch ran 3-10x faster when glibc
// keeps freed memory for reuse instead of returning it to the kernel after every step.
// One arena for every thread (the engines' own, libuv's, OpenMP's): with an arena each, each kept its own
// peak (classifying 10,000 images peaked at 1.53 GB instead of 0.84 GB while the engine ran on libuv's threads).
void keepFreedMemory() {
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, INT_MAX);
  mallopt(M_TOP_PAD, 1 << 30);
}

void SetThreads(const Napi::CallbackInfo& info) {
  setEngineThreads(static_cast<int>(args::wholeNumber(info[0], "threads", 1, 1024)));
}

Napi::Value CudaAvailable(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), torch::cuda::is_available());
}

// makeBatch(pixels, storedSize, inputSize, indices, augment | null, mean, std) -> Float32Array (n, 3, H, W)
// The preprocessing the engine applies, exposed so that tests and previews can check augmentation.
Napi::Value MakeBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t storedSize = args::wholeNumber(info[1], "storedSize", 1, 4096);
  InputGeometry geometry{};
  geometry.inputSize = args::wholeNumber(info[2], "inputSize", 1, storedSize);
  // The plain arrays first: reading them can run JavaScript (getters), which must not run once the typed arrays are checked.
  geometry.mean = args::channels(info[5], "mean", {});
  geometry.std = args::channels(info[6], "std", {0, INFINITY, false, false});
  auto source = pixelsArgument(info[0], storedSize);
  auto indices = indicesArgument(info[3], source);
  int64_t n = static_cast<int64_t>(indices.ElementLength());
  int64_t outputFloats = n * 3 * geometry.inputSize * geometry.inputSize;
  if (outputFloats > (int64_t{1} << 28)) {
    args::throwRange(env, "makeBatch would return " + std::to_string(outputFloats >> 18) + " MiB (at most 1024 MiB); ask for fewer images");
  }
  const float* augment = augmentArgument(info[4], n, false);
  auto batch = makeBatch(source, indices.Data(), n, augment, geometry, torch::kCPU).contiguous();
  auto out = Napi::Float32Array::New(env, static_cast<size_t>(batch.numel()));
  std::memcpy(out.Data(), batch.data_ptr<float>(), static_cast<size_t>(batch.numel()) * sizeof(float));
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  keepFreedMemory();
  exports.Set("Engine", Engine::Define(env));
  ProcessGroup::Define(env);
  exports.Set("createProcessGroup", Napi::Function::New(env, ProcessGroup::Create));
  exports.Set("setThreads", Napi::Function::New<checked<SetThreads>>(env));
  exports.Set("cudaAvailable", Napi::Function::New<checked<CudaAvailable>>(env));
  exports.Set("makeBatch", Napi::Function::New<checked<MakeBatch>>(env));
  exports.Set("decodeJpegs", Napi::Function::New<checked<DecodeJpegs>>(env));
  exports.Set("knnDistances", Napi::Function::New(env, KnnDistances));
  exports.Set("augmentFields", Napi::Number::New(env, kAugmentFields));
  exports.Set("libtorchVersion", Napi::String::New(env, TORCH_VERSION));
  return exports;
}

}  // namespace

NODE_API_MODULE(wbc_native, Init)
