#include "engine.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "args.h"
#include "batch-args.h"
#include "errors.h"
#include "files.h"
#include "sync-batch-norm.h"
#include "weights.h"

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
constexpr int64_t kEvaluationBudget = int64_t{1} << 27;          // 512 MiB per layer when evaluating in chunks
constexpr uint64_t kMaxWeightsBytes = uint64_t{1} << 30;
constexpr double kMaxLearningRate = 10;
constexpr double kMaxClassWeight = 1e6;  // larger weights overflow the loss's weighted sum
constexpr int64_t kMaxGlobalBatch = int64_t{1} << 24;  // the count of correct predictions is summed as a float

double parameterCount(const NetworkSpec& spec) {
  double count = 0;
  double channels = 3;
  for (int64_t width : spec.widths) {
    for (int64_t i = 0; i < spec.convsPerStage; ++i) {
      count += channels * width * 9 + 4.0 * width;  // convolution, then batch norm's weight, bias and statistics
      channels = width;
    }
  }
  return count + channels * spec.classes + spec.classes;
}

std::string mebibytes(int64_t floats) {
  return std::to_string((floats * 4) >> 20) + " MiB";
}

// Runs `body` under bf16 autocast on the CPU when enabled, restoring the previous state afterwards.
template <typename Body>
torch::Tensor withAutocast(bool enabled, Body body) {
  if (!enabled) return body();
  at::autocast::set_cpu_enabled(true);
  at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
  torch::Tensor out;
  try {
    out = body();
  } catch (...) {
    at::autocast::set_cpu_enabled(false);
    at::autocast::clear_cache();
    throw;
  }
  at::autocast::set_cpu_enabled(false);
  at::autocast::clear_cache();
  return out.to(torch::kFloat);
}

}  // namespace

Napi::Function Engine::Define(Napi::Env env) {
  return DefineClass(env, "Engine", {
      InstanceMethod<&Engine::checkedMethod<&Engine::ConfigureTraining>>("configureTraining"),
      InstanceMethod<&Engine::checkedMethod<&Engine::TrainStep>>("trainStep"),
      InstanceMethod<&Engine::checkedMethod<&Engine::Predict>>("predict"),
      InstanceMethod<&Engine::checkedMethod<&Engine::Features>>("features"),
      InstanceMethod<&Engine::checkedMethod<&Engine::RecalibrateNormalization>>("recalibrateNormalization"),
      InstanceMethod<&Engine::checkedMethod<&Engine::SetHead>>("setHead"),
      InstanceMethod<&Engine::checkedMethod<&Engine::FeatureSize>>("featureSize"),
      InstanceMethod<&Engine::checkedMethod<&Engine::Save>>("save"),
      InstanceMethod<&Engine::checkedMethod<&Engine::Load>>("load"),
      InstanceMethod<&Engine::checkedMethod<&Engine::Parameters>>("parameters"),
      InstanceMethod<&Engine::checkedMethod<&Engine::LogitsAndFeatures>>("logitsAndFeatures"),
      InstanceMethod<&Engine::checkedMethod<&Engine::JoinGroup>>("joinGroup"),
  });
}

template <auto Method>
Napi::Value Engine::checkedMethod(const Napi::CallbackInfo& info) {
  return callWithOneLineErrors(info, [&] { return (this->*Method)(info); });
}

// new Engine({ network: { widths, convsPerStage, classes, dropout },
//              input: { inputSize, storedSize, mean, std }, device: 'cpu' | 'cuda', bfloat16, seed })
Engine::Engine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Engine>(info) {
  withOneLineErrors(info.Env(), [&] { construct(info); });
}

void Engine::construct(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
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
  if (deviceName == "cuda") device = torch::Device(torch::kCUDA);
  bfloat16 = args::boolean(options.Get("bfloat16"), "bfloat16") && device.is_cpu();
  int64_t seed = args::wholeNumber(options.Get("seed"), "seed", 0, (int64_t{1} << 53) - 1);

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
  for (int64_t stage = 0; stage < stages; ++stage) {
    int64_t side = geometry.inputSize >> stage;
    largestLayerElements = std::max(largestLayerElements, side * side * spec.widths[stage]);
  }
  if (largestLayerElements > kMaxLayerElementsPerImage) {
    args::throwRange(env, "network too large for input.inputSize " + std::to_string(geometry.inputSize) + ": one image needs " +
                              mebibytes(largestLayerElements) + " in a single layer (at most " + mebibytes(kMaxLayerElementsPerImage) + ")");
  }

  torch::manual_seed(static_cast<uint64_t>(seed));
  network = Network(spec);
  network->to(device);
  // Channels-last convolution weights let oneDNN skip layout conversions on every step.
  for (auto& parameter : network->parameters()) {
    if (parameter.dim() == 4) parameter.set_data(parameter.data().contiguous(torch::MemoryFormat::ChannelsLast));
  }
}

int64_t Engine::evaluationChunk() const {
  return std::clamp<int64_t>(kEvaluationBudget / largestLayerElements, 1, 256);
}

torch::Tensor Engine::forward(const torch::Tensor& batch) {
  return withAutocast(bfloat16, [&] { return network->forward(batch); });
}

void Engine::ConfigureTraining(const Napi::CallbackInfo& info) {
  auto options = args::object(info[0], "options");
  double weightDecay = args::number(options.Get("weightDecay"), "weightDecay", {0, 1});
  double smoothing = args::number(options.Get("labelSmoothing"), "labelSmoothing", {0, 1, true, false});
  // Read last and copied at once: no JavaScript runs between the check and the copy.
  auto weights = args::float32Array(options.Get("classWeights"), "classWeights", static_cast<size_t>(spec.classes), "one per class");
  args::elementsWithin(weights, "classWeights", {0, kMaxClassWeight});
  auto copied = torch::from_blob(weights.Data(), {spec.classes}, torch::kFloat).clone();
  if (copied.sum().item<double>() <= 0) args::throwRange(info.Env(), "classWeights must not all be zero");
  classWeights = copied.to(device);
  labelSmoothing = smoothing;
  optimizer = std::make_unique<torch::optim::AdamW>(network->parameters(), torch::optim::AdamWOptions(1e-3).weight_decay(weightDecay));
}

Napi::Value Engine::TrainStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!optimizer) throw Napi::Error::New(env, "configureTraining must be called before trainStep");
  auto source = pixelsArgument(info[0], storedSize);
  auto indices = indicesArgument(info[1], source);
  int64_t n = static_cast<int64_t>(indices.ElementLength());
  if (n == 0) args::throwRange(env, "indices must not be empty for a training step");
  if (n * largestLayerElements > kMaxLayerElementsPerBatch) {
    args::throwRange(env, "a batch of " + std::to_string(n) + " images needs " + mebibytes(n * largestLayerElements) +
                              " in a single layer of this network (at most " + mebibytes(kMaxLayerElementsPerBatch) + "); use a smaller batch");
  }
  auto labels = args::int32Array(info[2], "labels");
  if (static_cast<int64_t>(labels.ElementLength()) != n) {
    args::throwRange(env, "labels must have " + std::to_string(n) + " elements (one per index), got " + std::to_string(labels.ElementLength()));
  }
  args::indicesBelow(labels, "labels", spec.classes, "the " + std::to_string(spec.classes) + " classes");
  const float* augment = augmentArgument(info[3], n, true);
  double learningRate = args::number(info[4], "learningRate", {0, kMaxLearningRate, false, true});
  int64_t shareOffset = 0;
  int64_t globalSize = n;
  if (group) {
    if (info[5].IsUndefined() || info[6].IsUndefined()) {
      throw Napi::Error::New(env, "in a process group, trainStep needs shareOffset and globalSize");
    }
    globalSize = args::wholeNumber(info[6], "globalSize", n, kMaxGlobalBatch);
    shareOffset = args::wholeNumber(info[5], "shareOffset", 0, globalSize - n);
  }

  for (auto& group : optimizer->param_groups()) group.options().set_lr(learningRate);
  network->train();
  auto batch = makeBatch(source, indices.Data(), n, augment, geometry, device);
  auto target = torch::from_blob(labels.Data(), {n}, torch::kInt32).to(torch::kLong).to(device);

  optimizer->zero_grad();
  auto result = Napi::Object::New(env);
  if (group) {
    // The weighted mean loss of one process is sum(weight * loss) / sum(weight) over the global batch:
    // each rank back-propagates its sum, and the gradients are divided by the global weight after the all-reduce.
    auto logits = groupTrainForward(batch, shareOffset, globalSize);
    auto lossSum = torch::nn::functional::cross_entropy(
        logits, target,
        torch::nn::functional::CrossEntropyFuncOptions().weight(classWeights).label_smoothing(labelSmoothing).reduction(torch::kSum));
    lossSum.backward();
    auto [loss, correct] = reduceGradients(lossSum, classWeights.index_select(0, target).sum(), logits.argmax(1).eq(target).sum());
    optimizer->step();
    result.Set("loss", loss);
    result.Set("correct", correct);
    return result;
  }
  auto logits = forward(batch);
  auto loss = torch::nn::functional::cross_entropy(
      logits, target,
      torch::nn::functional::CrossEntropyFuncOptions().weight(classWeights).label_smoothing(labelSmoothing));
  loss.backward();
  optimizer->step();

  result.Set("loss", loss.item<double>());
  result.Set("correct", logits.argmax(1).eq(target).sum().item<int64_t>());
  return result;
}

torch::Tensor Engine::groupTrainForward(const torch::Tensor& batch, int64_t offset, int64_t globalSize) {
  return withAutocast(bfloat16, [&] {
    auto x = batch;
    for (auto& layer : *network->layers()) {
      auto* norm = layer.ptr()->as<torch::nn::BatchNorm2d>();
      x = norm ? syncBatchNorm(x, *norm, *group) : layer.forward(x);
    }
    auto features = x.mean({2, 3});
    double p = network->dropoutRate();
    if (p > 0) {
      // As torch::dropout draws it on the CPU, for all globalSize rows, so that every rank's generator stays in step.
      auto noise = torch::empty({globalSize, features.size(1)}, features.options()).bernoulli_(1 - p).div_(1 - p);
      features = features * noise.slice(0, offset, offset + features.size(0));
    }
    return network->linearHead()->forward(features);
  });
}

std::pair<double, int64_t> Engine::reduceGradients(const torch::Tensor& lossSum, const torch::Tensor& weightSum, const torch::Tensor& correct) {
  // One flat buffer: every gradient, then the loss sum, the weight sum and the count of correct predictions.
  auto parameters = network->parameters();
  std::vector<torch::Tensor> pieces;
  for (auto& parameter : parameters) pieces.push_back(parameter.grad().reshape({-1}).to(torch::kFloat));
  pieces.push_back(torch::stack({lossSum.detach().to(torch::kFloat), weightSum.to(torch::kFloat), correct.to(torch::kFloat)}).to(device));
  auto flat = torch::cat(pieces);
  group->allreduceSum(flat, "the gradient all-reduce");
  int64_t end = flat.size(0);
  auto totals = flat.slice(0, end - 3).to(torch::kCPU);
  double weight = totals[1].item<double>();
  torch::NoGradGuard noGrad;
  int64_t at = 0;
  for (auto& parameter : parameters) {
    auto& gradient = parameter.mutable_grad();
    int64_t count = gradient.numel();
    gradient.copy_(flat.slice(0, at, at + count).view(gradient.sizes()) / weight);
    at += count;
  }
  return {totals[0].item<double>() / weight, static_cast<int64_t>(totals[2].item<double>())};
}

void Engine::JoinGroup(const Napi::CallbackInfo& info) {
  if (group) throw Napi::Error::New(info.Env(), "this engine has already joined a process group");
  group = ProcessGroup::linkOf(info[0], "processGroup");
}

template <typename PerBatch>
Napi::Float32Array Engine::evaluateRows(const Napi::CallbackInfo& info, int64_t rowSize, PerBatch perBatch) {
  Napi::Env env = info.Env();
  auto source = pixelsArgument(info[0], storedSize);
  auto indices = indicesArgument(info[1], source);
  int64_t n = static_cast<int64_t>(indices.ElementLength());
  const float* augment = augmentArgument(info[2], n, false);

  auto out = Napi::Float32Array::New(env, static_cast<size_t>(n * rowSize));
  torch::NoGradGuard noGrad;
  network->eval();
  const int64_t chunk = evaluationChunk();  // bounds memory whatever the caller passes
  for (int64_t start = 0; start < n; start += chunk) {
    int64_t count = std::min(chunk, n - start);
    auto batch = makeBatch(source, indices.Data() + start, count,
                           augment ? augment + start * kAugmentFields : nullptr, geometry, device);
    auto rows = perBatch(batch).to(torch::kCPU).to(torch::kFloat).contiguous();
    std::memcpy(out.Data() + start * rowSize, rows.template data_ptr<float>(), static_cast<size_t>(count * rowSize) * sizeof(float));
  }
  return out;
}

Napi::Value Engine::Predict(const Napi::CallbackInfo& info) {
  return evaluateRows(info, spec.classes, [&](const torch::Tensor& batch) { return torch::softmax(forward(batch), 1); });
}

Napi::Value Engine::Features(const Napi::CallbackInfo& info) {
  return evaluateRows(info, network->featureSize(), [&](const torch::Tensor& batch) {
    return withAutocast(bfloat16, [&] { return network->features(batch); });
  });
}

// The running statistics that batch norm keeps during training trail the weights by a few noisy
// batches; averaging them afresh over many images once the weights are fixed ("precise BN", Wu &
// Johnson 2021) makes evaluation steadier.
void Engine::RecalibrateNormalization(const Napi::CallbackInfo& info) {
  auto source = pixelsArgument(info[0], storedSize);
  auto indices = indicesArgument(info[1], source);
  int64_t n = static_cast<int64_t>(indices.ElementLength());
  std::vector<std::pair<torch::nn::BatchNorm2dImpl*, c10::optional<double>>> norms;
  for (auto& module : network->modules(false)) {
    if (auto* norm = module->as<torch::nn::BatchNorm2d>()) {
      norms.emplace_back(norm, norm->options.momentum());
      norm->reset_running_stats();
      norm->options.momentum(c10::nullopt);  // cumulative average over all batches
    }
  }
  torch::NoGradGuard noGrad;
  network->train();
  const int64_t chunk = evaluationChunk();
  // In a group, rank r takes chunks r, r + worldSize, ...: the same chunks one process would compute.
  int64_t chunks = 0;
  int64_t mine = 0;
  for (int64_t start = 0; start + 1 < n; start += chunk, ++chunks) {
    if (group && chunks % group->worldSize() != group->rank()) continue;
    int64_t count = std::min(chunk, n - start);
    auto batch = makeBatch(source, indices.Data() + start, count, nullptr, geometry, device);
    withAutocast(bfloat16, [&] { return network->features(batch); });
    ++mine;
  }
  for (auto& [norm, momentum] : norms) norm->options.momentum(momentum);
  network->eval();
  if (group) averageAcrossGroup(norms, mine, chunks);
}

// Each rank's statistics are averages over its `mine` chunks: weighted by them and summed, they give the
// average over all `chunks`.
void Engine::averageAcrossGroup(const std::vector<std::pair<torch::nn::BatchNorm2dImpl*, c10::optional<double>>>& norms, int64_t mine, int64_t chunks) {
  if (chunks == 0) return;
  std::vector<torch::Tensor> pieces;
  for (auto& [norm, momentum] : norms) {
    pieces.push_back(norm->running_mean * static_cast<double>(mine));
    pieces.push_back(norm->running_var * static_cast<double>(mine));
  }
  auto flat = torch::cat(pieces);
  group->allreduceSum(flat, "the batch-norm recalibration");
  flat /= static_cast<double>(chunks);
  int64_t at = 0;
  for (auto& [norm, momentum] : norms) {
    for (auto* statistic : {&norm->running_mean, &norm->running_var}) {
      int64_t count = statistic->numel();
      statistic->copy_(flat.slice(0, at, at + count));
      at += count;
    }
    norm->num_batches_tracked.fill_(chunks);
  }
}

void Engine::SetHead(const Napi::CallbackInfo& info) {
  auto& head = network->linearHead();
  auto weight = args::float32Array(info[0], "weight", static_cast<size_t>(head->weight.numel()), "classes x featureSize");
  auto bias = args::float32Array(info[1], "bias", static_cast<size_t>(head->bias.numel()), "one per class");
  args::elementsWithin(weight, "weight", {});
  args::elementsWithin(bias, "bias", {});
  torch::NoGradGuard noGrad;
  head->weight.copy_(torch::from_blob(weight.Data(), head->weight.sizes(), torch::kFloat));
  head->bias.copy_(torch::from_blob(bias.Data(), head->bias.sizes(), torch::kFloat));
}

Napi::Value Engine::FeatureSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(network->featureSize()));
}

void Engine::Save(const Napi::CallbackInfo& info) {
  auto path = args::string(info[0], "path");
  bool withOptimizer = args::optionalBoolean(info[1], "withOptimizer", false);
  if (withOptimizer && !optimizer) throw Napi::Error::New(info.Env(), "configureTraining must be called before saving optimiser state");
  torch::serialize::OutputArchive archive;
  network->save(archive);
  if (withOptimizer) {
    torch::serialize::OutputArchive optimizerArchive;
    optimizer->save(optimizerArchive);
    archive.write("optimizer", optimizerArchive);
    // Dropout draws from this generator: a resumed run continues the same random sequence.
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    archive.write("cpu_generator", generator.get_state());
  }
  std::string bytes;
  archive.save_to([&](const void* data, size_t size) {
    bytes.append(static_cast<const char*>(data), size);
    return size;
  });
  writeRegularFile(path, bytes);
}

// Nothing in the engine changes until the whole file has been read and checked: a refused file leaves
// the weights, the optimiser and the generator as they were.
void Engine::Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool withOptimizer = args::optionalBoolean(info[1], "withOptimizer", false);
  if (withOptimizer && !optimizer) throw Napi::Error::New(env, "configureTraining must be called before loading optimiser state");
  torch::serialize::InputArchive archive;
  if (info[0].IsString()) {
    // Read here rather than by LibTorch, which would wait forever on a FIFO and read /dev/zero until memory ran out.
    auto bytes = readRegularFile(args::string(info[0], "path"), kMaxWeightsBytes);
    archive.load_from(bytes.data(), bytes.size(), device);
  } else {
    // Bytes already in memory let the caller check them (model.json's hash) before they are used.
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      args::throwType(info[0], "source", "a path or a Uint8Array");
    }
    auto bytes = info[0].As<Napi::Uint8Array>();
    if (bytes.ByteLength() > kMaxWeightsBytes) args::throwRange(env, "source holds more than the 1024 MiB a weights file may have");
    archive.load_from(reinterpret_cast<const char*>(bytes.Data()), bytes.ByteLength(), device);
  }
  auto weights = readCheckedWeights(archive, *network, {"optimizer", "cpu_generator"});

  std::unique_ptr<torch::optim::AdamW> resumed;
  torch::Tensor generatorState;
  if (withOptimizer) {
    // A fresh optimiser over the same parameters takes the saved state; the current one stays until all is checked.
    auto options = static_cast<const torch::optim::AdamWOptions&>(optimizer->defaults());
    resumed = std::make_unique<torch::optim::AdamW>(network->parameters(), options);
    torch::serialize::InputArchive optimizerArchive;
    if (!archive.try_read("optimizer", optimizerArchive)) throw Napi::Error::New(env, "the file holds no optimiser state to resume from");
    resumed->load(optimizerArchive);
    checkOptimizerState(*resumed, *network);
    if (archive.try_read("cpu_generator", generatorState)) {
      generatorState = generatorState.to(torch::kCPU);
      at::detail::createCPUGenerator().set_state(generatorState);  // throws on a state of the wrong size or kind
    }
  }

  copyWeights(weights);
  if (withOptimizer) {
    optimizer = std::move(resumed);
    if (generatorState.defined()) {
      auto generator = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(generator.mutex());
      generator.set_state(generatorState);
    }
  }
}

// For export: every floating-point parameter and buffer (batch-norm running statistics) by its module path.
Napi::Value Engine::Parameters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto out = Napi::Object::New(env);
  auto add = [&](const std::string& name, const torch::Tensor& tensor) {
    if (!tensor.is_floating_point()) return;  // num_batches_tracked
    auto values = tensor.detach().to(torch::kCPU).to(torch::kFloat).contiguous();
    auto data = Napi::Float32Array::New(env, static_cast<size_t>(values.numel()));
    std::memcpy(data.Data(), values.data_ptr<float>(), static_cast<size_t>(values.numel()) * sizeof(float));
    auto shape = Napi::Array::New(env, static_cast<size_t>(values.dim()));
    for (int64_t d = 0; d < values.dim(); ++d) shape.Set(static_cast<uint32_t>(d), Napi::Number::New(env, static_cast<double>(values.size(d))));
    auto entry = Napi::Object::New(env);
    entry.Set("shape", shape);
    entry.Set("data", data);
    out.Set(name, entry);
  };
  for (const auto& item : network->named_parameters()) add(item.key(), item.value());
  for (const auto& item : network->named_buffers()) add(item.key(), item.value());
  return out;
}

// One forward pass for both: the calibrated probabilities need the logits, the out-of-scope score the
// pooled features. In eval mode dropout is the identity, so the head applied to the features gives the logits.
Napi::Value Engine::LogitsAndFeatures(const Napi::CallbackInfo& info) {
  return evaluateRows(info, spec.classes + network->featureSize(), [&](const torch::Tensor& batch) {
    return withAutocast(bfloat16, [&] {
      auto features = network->features(batch);
      return torch::cat({network->linearHead()->forward(features), features}, 1);
    });
  });
}
