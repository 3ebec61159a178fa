#include "engine-core.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "sync-batch-norm.h"
#include "weights.h"

namespace {

constexpr int64_t kEvaluationBudget = int64_t{1} << 27;  // 512 MiB per layer when evaluating in chunks

// Runs `body` under bf16 autocast on the CPU when enabled, restoring the previous state afterwards.
// Autocast state is thread-local: this runs on the thread that does the work, the worker thread included.
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

torch::Tensor makeRequestBatch(const BatchRequest& request, int64_t start, int64_t count, const InputGeometry& geometry,
                               const torch::Device& device) {
  const float* augment = request.augmentRows();
  return makeBatch(request.source, request.indices.data() + start, count, augment ? augment + start * kAugmentFields : nullptr,
                   geometry, device);
}

}  // namespace

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

int64_t largestLayerElements(const NetworkSpec& spec, int64_t inputSize) {
  int64_t largest = 0;
  for (size_t stage = 0; stage < spec.widths.size(); ++stage) {
    int64_t side = inputSize >> stage;
    largest = std::max(largest, side * side * spec.widths[stage]);
  }
  return largest;
}

EngineCore::EngineCore(const EngineConfig& config)
    : spec_(config.spec),
      geometry_(config.geometry),
      largestLayerElements_(::largestLayerElements(config.spec, config.geometry.inputSize)),
      device_(config.device),
      bfloat16_(config.bfloat16) {
  torch::manual_seed(config.seed);
  network_ = Network(spec_);
  network_->to(device_);
  // Channels-last convolution weights let oneDNN skip layout conversions on every step.
  for (auto& parameter : network_->parameters()) {
    if (parameter.dim() == 4) parameter.set_data(parameter.data().contiguous(torch::MemoryFormat::ChannelsLast));
  }
}

int64_t EngineCore::evaluationChunk() const {
  return std::clamp<int64_t>(kEvaluationBudget / largestLayerElements_, 1, 256);
}

torch::Tensor EngineCore::forward(const torch::Tensor& batch) {
  return withAutocast(bfloat16_, [&] { return network_->forward(batch); });
}

void EngineCore::configureTraining(double weightDecay, double labelSmoothing, const std::vector<float>& classWeights) {
  classWeights_ = torch::tensor(classWeights, torch::kFloat).to(device_);
  labelSmoothing_ = labelSmoothing;
  optimizer_ = std::make_unique<torch::optim::AdamW>(network_->parameters(), torch::optim::AdamWOptions(1e-3).weight_decay(weightDecay));
}

TrainResult EngineCore::trainStep(const TrainRequest& request) {
  if (!optimizer_) throw std::logic_error("configureTraining must be called before trainStep");
  const int64_t n = request.batch.size();
  for (auto& group : optimizer_->param_groups()) group.options().set_lr(request.learningRate);
  network_->train();
  auto batch = makeRequestBatch(request.batch, 0, n, geometry_, device_);
  auto target = torch::tensor(request.labels, torch::kInt32).to(torch::kLong).to(device_);

  optimizer_->zero_grad();
  if (group_) {
    // The weighted mean loss of one process is sum(weight * loss) / sum(weight) over the global batch:
    // each rank back-propagates its sum, and the gradients are divided by the global weight after the all-reduce.
    auto logits = groupTrainForward(batch, request.shareOffset, request.globalSize);
    auto lossSum = torch::nn::functional::cross_entropy(
        logits, target,
        torch::nn::functional::CrossEntropyFuncOptions().weight(classWeights_).label_smoothing(labelSmoothing_).reduction(torch::kSum));
    lossSum.backward();
    auto result = reduceGradients(lossSum, classWeights_.index_select(0, target).sum(), logits.argmax(1).eq(target).sum());
    optimizer_->step();
    return result;
  }
  auto logits = forward(batch);
  auto loss = torch::nn::functional::cross_entropy(
      logits, target,
      torch::nn::functional::CrossEntropyFuncOptions().weight(classWeights_).label_smoothing(labelSmoothing_));
  loss.backward();
  optimizer_->step();
  return {loss.item<double>(), logits.argmax(1).eq(target).sum().item<int64_t>()};
}

torch::Tensor EngineCore::groupTrainForward(const torch::Tensor& batch, int64_t offset, int64_t globalSize) {
  return withAutocast(bfloat16_, [&] {
    auto x = batch;
    for (auto& layer : *network_->layers()) {
      auto* norm = layer.ptr()->as<torch::nn::BatchNorm2d>();
      x = norm ? syncBatchNorm(x, *norm, *group_) : layer.forward(x);
    }
    auto features = x.mean({2, 3});
    double p = network_->dropoutRate();
    if (p > 0) {
      // As torch::dropout draws it on the CPU, for all globalSize rows, so that every rank's generator stays in step.
      auto noise = torch::empty({globalSize, features.size(1)}, features.options()).bernoulli_(1 - p).div_(1 - p);
      features = features * noise.slice(0, offset, offset + features.size(0));
    }
    return network_->linearHead()->forward(features);
  });
}

TrainResult EngineCore::reduceGradients(const torch::Tensor& lossSum, const torch::Tensor& weightSum, const torch::Tensor& correct) {
  // One flat buffer: every gradient, then the loss sum, the weight sum and the count of correct predictions.
  auto parameters = network_->parameters();
  std::vector<torch::Tensor> pieces;
  for (auto& parameter : parameters) pieces.push_back(parameter.grad().reshape({-1}).to(torch::kFloat));
  pieces.push_back(torch::stack({lossSum.detach().to(torch::kFloat), weightSum.to(torch::kFloat), correct.to(torch::kFloat)}).to(device_));
  auto flat = torch::cat(pieces);
  group_->allreduceSum(flat, "the gradient all-reduce");
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

int64_t EngineCore::rowSize(Rows rows) const {
  switch (rows) {
    case Rows::kProbabilities: return spec_.classes;
    case Rows::kFeatures: return featureSize();
    case Rows::kLogitsAndFeatures: return spec_.classes + featureSize();
  }
  return 0;
}

std::vector<float> EngineCore::evaluate(const BatchRequest& request, Rows rows) {
  const int64_t n = request.size();
  const int64_t rowFloats = rowSize(rows);
  std::vector<float> out(static_cast<size_t>(n * rowFloats));
  torch::NoGradGuard noGrad;
  network_->eval();
  const int64_t chunk = evaluationChunk();  // bounds memory whatever the caller passes
  for (int64_t start = 0; start < n; start += chunk) {
    int64_t count = std::min(chunk, n - start);
    auto batch = makeRequestBatch(request, start, count, geometry_, device_);
    torch::Tensor values;
    if (rows == Rows::kProbabilities) {
      values = torch::softmax(forward(batch), 1);
    } else {
      values = withAutocast(bfloat16_, [&] {
        auto features = network_->features(batch);
        // One forward pass for both: in eval mode dropout is the identity, so the head applied to the features gives the logits.
        return rows == Rows::kFeatures ? features : torch::cat({network_->linearHead()->forward(features), features}, 1);
      });
    }
    auto flat = values.to(torch::kCPU).to(torch::kFloat).contiguous();
    std::memcpy(out.data() + start * rowFloats, flat.data_ptr<float>(), static_cast<size_t>(count * rowFloats) * sizeof(float));
  }
  return out;
}

// The running statistics that batch norm keeps during training trail the weights by a few noisy
// batches; averaging them afresh over many images once the weights are fixed ("precise BN", Wu &
// Johnson 2021) makes evaluation steadier.
void EngineCore::recalibrateNormalization(const BatchRequest& request) {
  const int64_t n = request.size();
  NormStates norms;
  for (auto& module : network_->modules(false)) {
    if (auto* norm = module->as<torch::nn::BatchNorm2d>()) {
      norms.emplace_back(norm, norm->options.momentum());
      norm->reset_running_stats();
      norm->options.momentum(c10::nullopt);  // cumulative average over all batches
    }
  }
  torch::NoGradGuard noGrad;
  network_->train();
  const int64_t chunk = evaluationChunk();
  // In a group, rank r takes chunks r, r + worldSize, ...: the same chunks one process would compute.
  int64_t chunks = 0;
  int64_t mine = 0;
  for (int64_t start = 0; start + 1 < n; start += chunk, ++chunks) {
    if (group_ && chunks % group_->worldSize() != group_->rank()) continue;
    int64_t count = std::min(chunk, n - start);
    auto batch = makeBatch(request.source, request.indices.data() + start, count, nullptr, geometry_, device_);
    withAutocast(bfloat16_, [&] { return network_->features(batch); });
    ++mine;
  }
  for (auto& [norm, momentum] : norms) norm->options.momentum(momentum);
  network_->eval();
  if (group_) averageAcrossGroup(norms, mine, chunks);
}

// Each rank's statistics are averages over its `mine` chunks: weighted by them and summed, they give the
// average over all `chunks`.
void EngineCore::averageAcrossGroup(const NormStates& norms, int64_t mine, int64_t chunks) {
  if (chunks == 0) return;
  std::vector<torch::Tensor> pieces;
  for (auto& [norm, momentum] : norms) {
    pieces.push_back(norm->running_mean * static_cast<double>(mine));
    pieces.push_back(norm->running_var * static_cast<double>(mine));
  }
  auto flat = torch::cat(pieces);
  group_->allreduceSum(flat, "the batch-norm recalibration");
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

void EngineCore::setHead(const float* weight, const float* bias) {
  auto& head = network_->linearHead();
  torch::NoGradGuard noGrad;
  head->weight.copy_(torch::from_blob(const_cast<float*>(weight), head->weight.sizes(), torch::kFloat));
  head->bias.copy_(torch::from_blob(const_cast<float*>(bias), head->bias.sizes(), torch::kFloat));
}

std::string EngineCore::save(bool withOptimizer) {
  torch::serialize::OutputArchive archive;
  network_->save(archive);
  if (withOptimizer) {
    torch::serialize::OutputArchive optimizerArchive;
    optimizer_->save(optimizerArchive);
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
  return bytes;
}

void EngineCore::load(const char* bytes, size_t size, bool withOptimizer) {
  torch::serialize::InputArchive archive;
  archive.load_from(bytes, size, device_);
  auto weights = readCheckedWeights(archive, *network_, {"optimizer", "cpu_generator"});

  std::unique_ptr<torch::optim::AdamW> resumed;
  torch::Tensor generatorState;
  if (withOptimizer) {
    // A fresh optimiser over the same parameters takes the saved state; the current one stays until all is checked.
    auto options = static_cast<const torch::optim::AdamWOptions&>(optimizer_->defaults());
    resumed = std::make_unique<torch::optim::AdamW>(network_->parameters(), options);
    torch::serialize::InputArchive optimizerArchive;
    if (!archive.try_read("optimizer", optimizerArchive)) throw std::runtime_error("the file holds no optimiser state to resume from");
    resumed->load(optimizerArchive);
    checkOptimizerState(*resumed, *network_);
    if (archive.try_read("cpu_generator", generatorState)) {
      generatorState = generatorState.to(torch::kCPU);
      at::detail::createCPUGenerator().set_state(generatorState);  // throws on a state of the wrong size or kind
    }
  }

  copyWeights(weights);
  if (withOptimizer) {
    optimizer_ = std::move(resumed);
    if (generatorState.defined()) {
      auto generator = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(generator.mutex());
      generator.set_state(generatorState);
    }
  }
}

std::vector<std::pair<std::string, torch::Tensor>> EngineCore::floatTensors() {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  auto add = [&](const std::string& name, const torch::Tensor& tensor) {
    if (!tensor.is_floating_point()) return;  // num_batches_tracked
    out.emplace_back(name, tensor.detach().to(torch::kCPU).to(torch::kFloat).contiguous());
  };
  for (const auto& item : network_->named_parameters()) add(item.key(), item.value());
  for (const auto& item : network_->named_buffers()) add(item.key(), item.value());
  return out;
}
