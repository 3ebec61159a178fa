#include "engine-binding.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "args.h"
#include "batch-args.h"
#include "errors.h"
#include "files.h"
#include "process-group.h"
#include "promise-worker.h"

namespace {

// Bounds on what the constructor and the methods accept, so that no argument can ask for an absurd allocation.
constexpr int64_t kMaxStages = 8;
constexpr int64_t kMaxWidth = 2048;
constexpr int64_t kMaxConvsPerStage = 8;
constexpr int64_t kMaxClasses = 1000;
constexpr int64_t kMaxInputSize = 1024;
constexpr int64_t kMaxStoredSize = 4096;
constexpr double kMaxParameters = 50e6;
constexpr int64_t kMaxLayerElementsPerImage = int64_t{1} << 26;  // 256 MiB of floats for one image's activation
constexpr int64_t kMaxLayerElementsPerBatch = int64_t{1} << 30;  // 4 GiB for one layer of a training batch
constexpr uint64_t kMaxWeightsBytes = uint64_t{1} << 30;
constexpr double kMaxLearningRate = 10;
constexpr double kMaxClassWeight = 1e6;  // larger weights overflow the loss's weighted sum
constexpr int64_t kMaxGlobalBatch = int64_t{1} << 24;  // the count of correct predictions is summed as a float

std::string mebibytes(int64_t floats) {
  return std::to_string((floats * 4) >> 20) + " MiB";
}

}  // namespace

// One call's work on the engine's core, off the JavaScript thread (on the engine's own WorkThread). It holds the engine's object and the
// caller's pixel buffer, so that neither can be collected while it runs (the indices, labels and
// augmentation rows are the request's own copies), and marks the engine busy until it settles.
class EngineWorker : public PromiseWorker {
 public:
  EngineWorker(Engine& engine, const Napi::Value& pixels)
      : PromiseWorker(engine.Env()), engine_(engine), engineRef_(Napi::Persistent(engine.Value())), pixelsRef_(Napi::Persistent(pixels.As<Napi::Object>())), thread_(engine.workThread()) {
    engine_.busy = true;
  }

 protected:
  EngineCore& core() { return *engine_.core; }
  // The work itself, on the engine's WorkThread.
  virtual void Run() = 0;

 private:
  void Work() final { thread_.run([this] { Run(); }); }
  void Finished() final { engine_.busy = false; }

  Engine& engine_;
  Napi::ObjectReference engineRef_;
  Napi::ObjectReference pixelsRef_;
  WorkThread& thread_;
};

namespace {

class EvaluateWorker : public EngineWorker {
 public:
  EvaluateWorker(Engine& engine, const Napi::Value& pixels, BatchRequest request, Rows rows)
      : EngineWorker(engine, pixels), request_(std::move(request)), rows_(rows) {}

 private:
  void Run() override { out_ = core().evaluate(request_, rows_); }
  Napi::Value Result() override {
    auto out = Napi::Float32Array::New(Env(), out_.size());
    std::memcpy(out.Data(), out_.data(), out_.size() * sizeof(float));
    return out;
  }

  BatchRequest request_;
  Rows rows_;
  std::vector<float> out_;
};

class TrainWorker : public EngineWorker {
 public:
  TrainWorker(Engine& engine, const Napi::Value& pixels, TrainRequest request) : EngineWorker(engine, pixels), request_(std::move(request)) {}

 private:
  void Run() override { result_ = core().trainStep(request_); }
  Napi::Value Result() override {
    auto result = Napi::Object::New(Env());
    result.Set("loss", result_.loss);
    result.Set("correct", static_cast<double>(result_.correct));
    return result;
  }

  TrainRequest request_;
  TrainResult result_{};
};

class RecalibrateWorker : public EngineWorker {
 public:
  RecalibrateWorker(Engine& engine, const Napi::Value& pixels, BatchRequest request) : EngineWorker(engine, pixels), request_(std::move(request)) {}

 private:
  void Run() override { core().recalibrateNormalization(request_); }

  BatchRequest request_;
};

}  // namespace

Napi::Function Engine::Define(Napi::Env env) {
  return DefineClass(env, "Engine", {
      InstanceMethod<&Engine::checkedMethod<&Engine::ConfigureTraining>>("configureTraining"),
      InstanceMethod<&Engine::promisedMethod<&Engine::TrainStep>>("trainStep"),
      InstanceMethod<&Engine::promisedMethod<&Engine::Predict>>("predict"),
      InstanceMethod<&Engine::promisedMethod<&Engine::Features>>("features"),
      InstanceMethod<&Engine::promisedMethod<&Engine::RecalibrateNormalization>>("recalibrateNormalization"),
      InstanceMethod<&Engine::checkedMethod<&Engine::SetHead>>("setHead"),
      InstanceMethod<&Engine::checkedMethod<&Engine::FeatureSize>>("featureSize"),
      InstanceMethod<&Engine::checkedMethod<&Engine::Save>>("save"),
      InstanceMethod<&Engine::checkedMethod<&Engine::Load>>("load"),
      InstanceMethod<&Engine::checkedMethod<&Engine::Parameters>>("parameters"),
      InstanceMethod<&Engine::promisedMethod<&Engine::LogitsAndFeatures>>("logitsAndFeatures"),
      InstanceMethod<&Engine::checkedMethod<&Engine::JoinGroup>>("joinGroup"),
  });
}

// Made on the first asynchronous call, on the JavaScript thread; joined when the engine is collected
// (never while a call is in flight: the call holds a reference to the engine).
WorkThread& Engine::workThread() {
  if (!thread) thread = std::make_unique<WorkThread>();
  return *thread;
}

void Engine::refuseWhileBusy(const Napi::Env& env) const {
  if (busy) throw Napi::Error::New(env, "the engine is still running an earlier call; await it before making another");
}

template <auto Method>
Napi::Value Engine::checkedMethod(const Napi::CallbackInfo& info) {
  return callWithOneLineErrors(info, [&] {
    refuseWhileBusy(info.Env());
    return (this->*Method)(info);
  });
}

template <auto Method>
Napi::Value Engine::promisedMethod(const Napi::CallbackInfo& info) {
  return promiseOf(info.Env(), [&] {
    refuseWhileBusy(info.Env());
    return (this->*Method)(info);
  });
}

Engine::Engine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Engine>(info) {
  withOneLineErrors(info.Env(), [&] { construct(info); });
}

void Engine::construct(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EngineConfig config;
  NetworkSpec& spec = config.spec;
  InputGeometry& geometry = config.geometry;
  auto options = args::object(info[0], "options");
  auto net = args::object(options.Get("network"), "network");
  auto widths = args::array(net.Get("widths"), "network.widths", 1, kMaxStages);
  for (uint32_t i = 0; i < widths.Length(); ++i) {
    spec.widths.push_back(args::wholeNumber(widths.Get(i), "network.widths[" + std::to_string(i) + "]", 1, kMaxWidth));
  }
  spec.convsPerStage = args::wholeNumber(net.Get("convsPerStage"), "network.convsPerStage", 1, kMaxConvsPerStage);
  spec.classes = args::wholeNumber(net.Get("classes"), "network.classes", 2, kMaxClasses);
  spec.dropout = args::number(net.Get("dropout"), "network.dropout", {0, 1, true, false});

  auto input = args::object(options.Get("input"), "input");
  geometry.inputSize = args::wholeNumber(input.Get("inputSize"), "input.inputSize", 1, kMaxInputSize);
  storedSize = args::wholeNumber(input.Get("storedSize"), "input.storedSize", geometry.inputSize, kMaxStoredSize);
  geometry.mean = args::channels(input.Get("mean"), "input.mean", {});
  geometry.std = args::channels(input.Get("std"), "input.std", {0, INFINITY, false, false});

  auto deviceValue = options.Get("device");
  std::string deviceName = deviceValue.IsString() ? deviceValue.As<Napi::String>().Utf8Value() : "";
  if (deviceName != "cpu" && deviceName != "cuda") args::throwType(deviceValue, "device", "'cpu' or 'cuda'");
  if (deviceName == "cuda" && !torch::cuda::is_available()) {
    args::throwRange(env, "device is 'cuda', but this LibTorch build has no CUDA device");
  }
  if (deviceName == "cuda") config.device = torch::Device(torch::kCUDA);
  config.bfloat16 = args::boolean(options.Get("bfloat16"), "bfloat16") && config.device.is_cpu();
  config.seed = static_cast<uint64_t>(args::wholeNumber(options.Get("seed"), "seed", 0, (int64_t{1} << 53) - 1));

  // Each stage after the first halves the image; the last must still see at least one pixel.
  int64_t stages = static_cast<int64_t>(spec.widths.size());
  if ((geometry.inputSize >> (stages - 1)) < 1) {
    args::throwRange(env, "input.inputSize " + std::to_string(geometry.inputSize) + " is too small for " + std::to_string(stages) +
                              " stages (each after the first halves it; at least " + std::to_string(int64_t{1} << (stages - 1)) + " needed)");
  }
  double parameters = parameterCount(spec);
  if (parameters > kMaxParameters) {
    args::throwRange(env, "network too large: " + std::to_string(static_cast<int64_t>(parameters / 1e6)) +
                              " million parameters (at most " + std::to_string(static_cast<int64_t>(kMaxParameters / 1e6)) + " million)");
  }
  int64_t largest = largestLayerElements(spec, geometry.inputSize);
  if (largest > kMaxLayerElementsPerImage) {
    args::throwRange(env, "network too large for input.inputSize " + std::to_string(geometry.inputSize) + ": one image needs " +
                              mebibytes(largest) + " in a single layer (at most " + mebibytes(kMaxLayerElementsPerImage) + ")");
  }
  core = std::make_unique<EngineCore>(config);
}

void Engine::ConfigureTraining(const Napi::CallbackInfo& info) {
  auto options = args::object(info[0], "options");
  double weightDecay = args::number(options.Get("weightDecay"), "weightDecay", {0, 1});
  double smoothing = args::number(options.Get("labelSmoothing"), "labelSmoothing", {0, 1, true, false});
  // Read last and copied at once: no JavaScript runs between the check and the copy.
  auto weights = args::float32Array(options.Get("classWeights"), "classWeights", static_cast<size_t>(core->classes()), "one per class");
  args::elementsWithin(weights, "classWeights", {0, kMaxClassWeight});
  std::vector<float> copied(weights.Data(), weights.Data() + weights.ElementLength());
  if (std::all_of(copied.begin(), copied.end(), [](float w) { return w == 0; })) args::throwRange(info.Env(), "classWeights must not all be zero");
  core->configureTraining(weightDecay, smoothing, copied);
}

BatchRequest Engine::batchRequest(const Napi::CallbackInfo& info, int augmentAt, bool augmentRequired) {
  BatchRequest request;
  request.source = pixelsArgument(info[0], storedSize);
  auto indices = indicesArgument(info[1], request.source);
  request.indices.assign(indices.Data(), indices.Data() + indices.ElementLength());
  if (augmentAt < 0) return request;
  int64_t n = request.size();
  const float* augment = augmentArgument(info[augmentAt], n, augmentRequired);
  if (augment) request.augment.assign(augment, augment + n * kAugmentFields);
  return request;
}

Napi::Value Engine::TrainStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!core->trainingConfigured()) throw Napi::Error::New(env, "configureTraining must be called before trainStep");
  TrainRequest request;
  request.batch.source = pixelsArgument(info[0], storedSize);
  auto indices = indicesArgument(info[1], request.batch.source);
  int64_t n = static_cast<int64_t>(indices.ElementLength());
  if (n == 0) args::throwRange(env, "indices must not be empty for a training step");
  if (n * core->largestLayerElements() > kMaxLayerElementsPerBatch) {
    args::throwRange(env, "a batch of " + std::to_string(n) + " images needs " + mebibytes(n * core->largestLayerElements()) +
                              " in a single layer of this network (at most " + mebibytes(kMaxLayerElementsPerBatch) + "); use a smaller batch");
  }
  auto labels = args::int32Array(info[2], "labels");
  if (static_cast<int64_t>(labels.ElementLength()) != n) {
    args::throwRange(env, "labels must have " + std::to_string(n) + " elements (one per index), got " + std::to_string(labels.ElementLength()));
  }
  args::indicesBelow(labels, "labels", core->classes(), "the " + std::to_string(core->classes()) + " classes");
  const float* augment = augmentArgument(info[3], n, true);
  request.learningRate = args::number(info[4], "learningRate", {0, kMaxLearningRate, false, true});
  request.globalSize = n;
  if (core->inGroup()) {
    if (info[5].IsUndefined() || info[6].IsUndefined()) {
      throw Napi::Error::New(env, "in a process group, trainStep needs shareOffset and globalSize");
    }
    request.globalSize = args::wholeNumber(info[6], "globalSize", n, kMaxGlobalBatch);
    request.shareOffset = args::wholeNumber(info[5], "shareOffset", 0, request.globalSize - n);
  }
  request.batch.indices.assign(indices.Data(), indices.Data() + n);
  request.batch.augment.assign(augment, augment + n * kAugmentFields);
  request.labels.assign(labels.Data(), labels.Data() + n);
  return (new TrainWorker(*this, info[0], std::move(request)))->Start();
}

Napi::Value Engine::evaluate(const Napi::CallbackInfo& info, Rows rows) {
  return (new EvaluateWorker(*this, info[0], batchRequest(info, 2, false), rows))->Start();
}

Napi::Value Engine::Predict(const Napi::CallbackInfo& info) { return evaluate(info, Rows::kProbabilities); }

Napi::Value Engine::Features(const Napi::CallbackInfo& info) { return evaluate(info, Rows::kFeatures); }

// One forward pass for both: the calibrated probabilities need the logits, the out-of-scope score the pooled features.
Napi::Value Engine::LogitsAndFeatures(const Napi::CallbackInfo& info) { return evaluate(info, Rows::kLogitsAndFeatures); }

Napi::Value Engine::RecalibrateNormalization(const Napi::CallbackInfo& info) {
  return (new RecalibrateWorker(*this, info[0], batchRequest(info, -1, false)))->Start();
}

void Engine::JoinGroup(const Napi::CallbackInfo& info) {
  if (core->inGroup()) throw Napi::Error::New(info.Env(), "this engine has already joined a process group");
  core->joinGroup(ProcessGroup::linkOf(info[0], "processGroup"));
}

void Engine::SetHead(const Napi::CallbackInfo& info) {
  auto weight = args::float32Array(info[0], "weight", static_cast<size_t>(core->headWeightCount()), "classes x featureSize");
  auto bias = args::float32Array(info[1], "bias", static_cast<size_t>(core->classes()), "one per class");
  args::elementsWithin(weight, "weight", {});
  args::elementsWithin(bias, "bias", {});
  core->setHead(weight.Data(), bias.Data());
}

Napi::Value Engine::FeatureSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(core->featureSize()));
}

void Engine::Save(const Napi::CallbackInfo& info) {
  auto path = args::string(info[0], "path");
  bool withOptimizer = args::optionalBoolean(info[1], "withOptimizer", false);
  if (withOptimizer && !core->trainingConfigured()) throw Napi::Error::New(info.Env(), "configureTraining must be called before saving optimiser state");
  writeRegularFile(path, core->save(withOptimizer));
}

// Nothing in the engine changes until the whole file has been read and checked: a refused file leaves
// the weights, the optimiser and the generator as they were.
void Engine::Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool withOptimizer = args::optionalBoolean(info[1], "withOptimizer", false);
  if (withOptimizer && !core->trainingConfigured()) throw Napi::Error::New(env, "configureTraining must be called before loading optimiser state");
  if (info[0].IsString()) {
    // Read here rather than by LibTorch, which would wait forever on a FIFO and read /dev/zero until memory ran out.
    auto bytes = readRegularFile(args::string(info[0], "path"), kMaxWeightsBytes);
    core->load(bytes.data(), bytes.size(), withOptimizer);
    return;
  }
  // Bytes already in memory let the caller check them (model.json's hash) before they are used.
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    args::throwType(info[0], "source", "a path or a Uint8Array");
  }
  auto bytes = info[0].As<Napi::Uint8Array>();
  if (bytes.ByteLength() > kMaxWeightsBytes) args::throwRange(env, "source holds more than the 1024 MiB a weights file may have");
  core->load(reinterpret_cast<const char*>(bytes.Data()), bytes.ByteLength(), withOptimizer);
}

// For export: every floating-point parameter and buffer (batch-norm running statistics) by its module path.
Napi::Value Engine::Parameters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto out = Napi::Object::New(env);
  for (const auto& [name, values] : core->floatTensors()) {
    auto data = Napi::Float32Array::New(env, static_cast<size_t>(values.numel()));
    std::memcpy(data.Data(), values.data_ptr<float>(), static_cast<size_t>(values.numel()) * sizeof(float));
    auto shape = Napi::Array::New(env, static_cast<size_t>(values.dim()));
    for (int64_t d = 0; d < values.dim(); ++d) shape.Set(static_cast<uint32_t>(d), Napi::Number::New(env, static_cast<double>(values.size(d))));
    auto entry = Napi::Object::New(env);
    entry.Set("shape", shape);
    entry.Set("data", data);
    out.Set(name, entry);
  }
  return out;
}
