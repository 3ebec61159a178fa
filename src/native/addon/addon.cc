// Entry point of the native addon: tunes malloc, then exports the Engine and a few engine-wide helpers.
#include <malloc.h>

#include <climits>
#include <cstring>
#include <napi.h>
#include <torch/torch.h>

#include "batch.h"
#include "engine.h"
#include "jpeg-batch.h"

namespace {

// Fresh pages are slow to fault in on the machines we target; LibTorch ran 3-10x faster when glibc
// keeps freed memory for reuse instead of returning it to the kernel after every step.
void keepFreedMemory() {
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, INT_MAX);
  mallopt(M_TOP_PAD, 1 << 30);
}

void SetThreads(const Napi::CallbackInfo& info) {
  torch::set_num_threads(info[0].As<Napi::Number>().Int32Value());
}

Napi::Value CudaAvailable(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), torch::cuda::is_available());
}

// makeBatch(pixels, storedSize, inputSize, indices, augment | null, mean, std) -> Float32Array (n, 3, H, W)
// The preprocessing the engine applies, exposed so that tests and previews can check augmentation.
Napi::Value MakeBatch(const Napi::CallbackInfo& info) {
  auto pixels = info[0].As<Napi::Uint8Array>();
  int64_t storedSize = info[1].As<Napi::Number>().Int64Value();
  InputGeometry geometry{};
  geometry.inputSize = info[2].As<Napi::Number>().Int64Value();
  auto indices = info[3].As<Napi::Int32Array>();
  const float* augment = info[4].IsTypedArray() ? info[4].As<Napi::Float32Array>().Data() : nullptr;
  auto mean = info[5].As<Napi::Array>();
  auto std = info[6].As<Napi::Array>();
  for (uint32_t c = 0; c < 3; ++c) {
    geometry.mean[c] = mean.Get(c).As<Napi::Number>().FloatValue();
    geometry.std[c] = std.Get(c).As<Napi::Number>().FloatValue();
  }
  int64_t n = static_cast<int64_t>(indices.ElementLength());
  if (augment && static_cast<int64_t>(info[4].As<Napi::Float32Array>().ElementLength()) != n * kAugmentFields) {
    throw Napi::RangeError::New(info.Env(), "augment size does not match indices");
  }
  int64_t imageBytes = storedSize * storedSize * 3;
  PixelSource source{pixels.Data(), static_cast<int64_t>(pixels.ByteLength()) / imageBytes, storedSize};
  auto batch = makeBatch(source, indices.Data(), n, augment, geometry, torch::kCPU).contiguous();
  auto out = Napi::Float32Array::New(info.Env(), static_cast<size_t>(batch.numel()));
  std::memcpy(out.Data(), batch.data_ptr<float>(), static_cast<size_t>(batch.numel()) * sizeof(float));
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  keepFreedMemory();
  exports.Set("Engine", Engine::Define(env));
  exports.Set("setThreads", Napi::Function::New<SetThreads>(env));
  exports.Set("cudaAvailable", Napi::Function::New<CudaAvailable>(env));
  exports.Set("makeBatch", Napi::Function::New<MakeBatch>(env));
  exports.Set("decodeJpegs", Napi::Function::New<DecodeJpegs>(env));
  exports.Set("augmentFields", Napi::Number::New(env, kAugmentFields));
  exports.Set("libtorchVersion", Napi::String::New(env, TORCH_VERSION));
  return exports;
}

}  // namespace

NODE_API_MODULE(wbc_native, Init)
