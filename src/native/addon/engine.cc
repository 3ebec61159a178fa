#include "engine.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace {

std::vector<int64_t> intArray(const Napi::Value& value) {
  auto array = value.As<Napi::Array>();
  std::vector<int64_t> out(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) out[i] = array.Get(i).As<Napi::Number>().Int64Value();
  return out;
}

std::array<float, 3> threeFloats(const Napi::Value& value) {
  auto array = value.As<Napi::Array>();
  if (array.Length() != 3) throw Napi::TypeError::New(value.Env(), "expected three channel values");
  return {array.Get(0u).As<Napi::Number>().FloatValue(), array.Get(1u).As<Napi::Number>().FloatValue(),
          array.Get(2u).As<Napi::Number>().FloatValue()};
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
      InstanceMethod<&Engine::ConfigureTraining>("configureTraining"),
      InstanceMethod<&Engine::TrainStep>("trainStep"),
      InstanceMethod<&Engine::Predict>("predict"),
      InstanceMethod<&Engine::Features>("features"),
      InstanceMethod<&Engine::RecalibrateNormalization>("recalibrateNormalization"),
      InstanceMethod<&Engine::SetHead>("setHead"),
      InstanceMethod<&Engine::FeatureSize>("featureSize"),
      InstanceMethod<&Engine::Save>("save"),
      InstanceMethod<&Engine::Load>("load"),
      InstanceMethod<&Engine::Parameters>("parameters"),
  });
}

// new Engine({ network: { widths, convsPerStage, classes, dropout },
//              input: { inputSize, storedSize, mean, std }, device: 'cpu' | 'cuda', bfloat16, seed })
Engine::Engine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Engine>(info) {
  auto options = info[0].As<Napi::Object>();
  auto net = options.Get("network").As<Napi::Object>();
  spec.widths = intArray(net.Get("widths"));
  spec.convsPerStage = net.Get("convsPerStage").As<Napi::Number>().Int64Value();
  spec.classes = net.Get("classes").As<Napi::Number>().Int64Value();
  spec.dropout = net.Get("dropout").As<Napi::Number>().DoubleValue();

  auto input = options.Get("input").As<Napi::Object>();
  geometry.inputSize = input.Get("inputSize").As<Napi::Number>().Int64Value();
  storedSize = input.Get("storedSize").As<Napi::Number>().Int64Value();
  geometry.mean = threeFloats(input.Get("mean"));
  geometry.std = threeFloats(input.Get("std"));

  if (options.Get("device").As<Napi::String>().Utf8Value() == "cuda") device = torch::Device(torch::kCUDA);
  bfloat16 = device.is_cpu() && options.Get("bfloat16").As<Napi::Boolean>().Value();
  torch::manual_seed(options.Get("seed").As<Napi::Number>().Int64Value());

  network = Network(spec);
  network->to(device);
  // Channels-last convolution weights let oneDNN skip layout conversions on every step.
  for (auto& parameter : network->parameters()) {
    if (parameter.dim() == 4) parameter.set_data(parameter.data().contiguous(torch::MemoryFormat::ChannelsLast));
  }
}

PixelSource Engine::pixelSource(const Napi::Value& value) const {
  auto pixels = value.As<Napi::Uint8Array>();
  int64_t imageBytes = storedSize * storedSize * 3;
  if (static_cast<int64_t>(pixels.ByteLength()) % imageBytes != 0) {
    throw Napi::RangeError::New(value.Env(), "pixel buffer is not a whole number of images");
  }
  return {pixels.Data(), static_cast<int64_t>(pixels.ByteLength()) / imageBytes, storedSize};
}

torch::Tensor Engine::forward(const torch::Tensor& batch) {
  return withAutocast(bfloat16, [&] { return network->forward(batch); });
}

void Engine::ConfigureTraining(const Napi::CallbackInfo& info) {
  auto options = info[0].As<Napi::Object>();
  auto weights = options.Get("classWeights").As<Napi::Float32Array>();
  classWeights = torch::from_blob(weights.Data(), {static_cast<int64_t>(weights.ElementLength())}, torch::kFloat)
                     .clone()
                     .to(device);
  labelSmoothing = options.Get("labelSmoothing").As<Napi::Number>().DoubleValue();
  auto adamw = torch::optim::AdamWOptions(1e-3).weight_decay(options.Get("weightDecay").As<Napi::Number>().DoubleValue());
  optimizer = std::make_unique<torch::optim::AdamW>(network->parameters(), adamw);
}

Napi::Value Engine::TrainStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!optimizer) throw Napi::Error::New(env, "configureTraining must be called before trainStep");
  auto source = pixelSource(info[0]);
  auto indices = info[1].As<Napi::Int32Array>();
  auto labels = info[2].As<Napi::Int32Array>();
  auto augment = info[3].As<Napi::Float32Array>();
  double learningRate = info[4].As<Napi::Number>().DoubleValue();
  int64_t n = static_cast<int64_t>(indices.ElementLength());
  if (static_cast<int64_t>(labels.ElementLength()) != n || static_cast<int64_t>(augment.ElementLength()) != n * kAugmentFields) {
    throw Napi::RangeError::New(env, "indices, labels and augment sizes differ");
  }

  for (auto& group : optimizer->param_groups()) group.options().set_lr(learningRate);
  network->train();
  auto batch = makeBatch(source, indices.Data(), n, augment.Data(), geometry, device);
  auto target = torch::from_blob(labels.Data(), {n}, torch::kInt32).to(torch::kLong).to(device);

  optimizer->zero_grad();
  auto logits = forward(batch);
  auto loss = torch::nn::functional::cross_entropy(
      logits, target,
      torch::nn::functional::CrossEntropyFuncOptions().weight(classWeights).label_smoothing(labelSmoothing));
  loss.backward();
  optimizer->step();

  auto result = Napi::Object::New(env);
  result.Set("loss", loss.item<double>());
  result.Set("correct", logits.argmax(1).eq(target).sum().item<int64_t>());
  return result;
}

template <typename PerBatch>
Napi::Float32Array Engine::evaluateRows(const Napi::CallbackInfo& info, int64_t rowSize, PerBatch perBatch) {
  Napi::Env env = info.Env();
  auto source = pixelSource(info[0]);
  auto indices = info[1].As<Napi::Int32Array>();
  int64_t n = static_cast<int64_t>(indices.ElementLength());
  const float* augment = nullptr;
  if (info[2].IsTypedArray()) {
    auto array = info[2].As<Napi::Float32Array>();
    if (static_cast<int64_t>(array.ElementLength()) != n * kAugmentFields) {
      throw Napi::RangeError::New(env, "augment size does not match indices");
    }
    augment = array.Data();
  }

  auto out = Napi::Float32Array::New(env, static_cast<size_t>(n * rowSize));
  torch::NoGradGuard noGrad;
  network->eval();
  const int64_t chunk = 256;  // bounds memory whatever the caller passes
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
  auto source = pixelSource(info[0]);
  auto indices = info[1].As<Napi::Int32Array>();
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
  const int64_t chunk = 256;
  for (int64_t start = 0; start + 1 < n; start += chunk) {
    int64_t count = std::min(chunk, n - start);
    auto batch = makeBatch(source, indices.Data() + start, count, nullptr, geometry, device);
    withAutocast(bfloat16, [&] { return network->features(batch); });
  }
  for (auto& [norm, momentum] : norms) norm->options.momentum(momentum);
  network->eval();
}

void Engine::SetHead(const Napi::CallbackInfo& info) {
  auto weight = info[0].As<Napi::Float32Array>();
  auto bias = info[1].As<Napi::Float32Array>();
  auto& head = network->linearHead();
  if (static_cast<int64_t>(weight.ElementLength()) != head->weight.numel() ||
      static_cast<int64_t>(bias.ElementLength()) != head->bias.numel()) {
    throw Napi::RangeError::New(info.Env(), "head weights do not match the network");
  }
  torch::NoGradGuard noGrad;
  head->weight.copy_(torch::from_blob(weight.Data(), head->weight.sizes(), torch::kFloat));
  head->bias.copy_(torch::from_blob(bias.Data(), head->bias.sizes(), torch::kFloat));
}

Napi::Value Engine::FeatureSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(network->featureSize()));
}

void Engine::Save(const Napi::CallbackInfo& info) {
  auto path = info[0].As<Napi::String>().Utf8Value();
  bool withOptimizer = info.Length() > 1 && info[1].ToBoolean().Value();
  torch::serialize::OutputArchive archive;
  network->save(archive);
  if (withOptimizer && optimizer) {
    torch::serialize::OutputArchive optimizerArchive;
    optimizer->save(optimizerArchive);
    archive.write("optimizer", optimizerArchive);
    // Dropout draws from this generator: a resumed run continues the same random sequence.
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    archive.write("cpu_generator", generator.get_state());
  }
  archive.save_to(path);
}

void Engine::Load(const Napi::CallbackInfo& info) {
  bool withOptimizer = info.Length() > 1 && info[1].ToBoolean().Value();
  torch::serialize::InputArchive archive;
  // Bytes already in memory let the caller check them (model.json's hash) before they are used.
  if (info[0].IsTypedArray()) {
    auto bytes = info[0].As<Napi::Uint8Array>();
    archive.load_from(reinterpret_cast<const char*>(bytes.Data()), bytes.ByteLength(), device);
  } else {
    archive.load_from(info[0].As<Napi::String>().Utf8Value(), device);
  }
  network->load(archive);
  if (withOptimizer) {
    if (!optimizer) throw Napi::Error::New(info.Env(), "configureTraining must be called before loading optimiser state");
    torch::serialize::InputArchive optimizerArchive;
    archive.read("optimizer", optimizerArchive);
    optimizer->load(optimizerArchive);
    torch::Tensor generatorState;
    if (archive.try_read("cpu_generator", generatorState)) {
      auto generator = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(generator.mutex());
      generator.set_state(generatorState.to(torch::kCPU));
    }
  }
  for (auto& parameter : network->parameters()) {
    if (parameter.dim() == 4) parameter.set_data(parameter.data().contiguous(torch::MemoryFormat::ChannelsLast));
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
