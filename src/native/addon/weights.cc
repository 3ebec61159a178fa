#include "weights.h"

#include <stdexcept>

namespace {

std::string shapeText(const torch::Tensor& tensor) {
  std::string text = "[";
  for (int64_t d = 0; d < tensor.dim(); ++d) text += (d ? ", " : "") + std::to_string(tensor.size(d));
  return text + "]";
}

[[noreturn]] void mismatch(const std::string& detail) {
  throw std::runtime_error("weights do not match the network: " + detail);
}

bool allFinite(const torch::Tensor& tensor) {
  return !tensor.is_floating_point() || torch::isfinite(tensor).all().item<bool>();
}

void readTensor(torch::serialize::InputArchive& archive, const std::string& key, const torch::Tensor& target,
                const std::string& name, std::vector<CheckedTensor>& out) {
  torch::Tensor loaded;  // undefined, so that reading takes the file's tensor as it is
  if (!archive.try_read(key, loaded)) mismatch("the file has no " + name);
  if (loaded.sizes() != target.sizes()) mismatch(name + " is " + shapeText(loaded) + " in the file, " + shapeText(target) + " expected");
  if (loaded.scalar_type() != target.scalar_type()) {
    mismatch(name + " holds " + c10::toString(loaded.scalar_type()) + " in the file, " + c10::toString(target.scalar_type()) + " expected");
  }
  if (!allFinite(loaded)) throw std::runtime_error("the weights hold non-finite values (NaN or infinity) in " + name);
  out.push_back({target, loaded});
}

// Mirrors Module::load: a module's own parameters and buffers, then each serialisable child in a nested archive.
void readModule(torch::serialize::InputArchive& archive, torch::nn::Module& module, const std::string& prefix,
                const std::set<std::string>& ignoredKeys, std::vector<CheckedTensor>& out) {
  std::set<std::string> expected = ignoredKeys;
  for (auto& parameter : module.named_parameters(/*recurse=*/false)) {
    expected.insert(parameter.key());
    readTensor(archive, parameter.key(), parameter.value(), prefix + parameter.key(), out);
  }
  for (auto& buffer : module.named_buffers(/*recurse=*/false)) {
    expected.insert(buffer.key());
    readTensor(archive, buffer.key(), buffer.value(), prefix + buffer.key(), out);
  }
  for (auto& child : module.named_children()) {
    if (!child.value()->is_serializable()) continue;
    expected.insert(child.key());
    torch::serialize::InputArchive childArchive;
    if (!archive.try_read(child.key(), childArchive)) mismatch("the file has no " + prefix + child.key());
    readModule(childArchive, *child.value(), prefix + child.key() + ".", {}, out);
  }
  // Anything else that is a tensor or a module belongs to another network (a deeper one, say).
  for (const auto& key : archive.keys()) {
    if (expected.count(key)) continue;
    torch::Tensor tensor;
    torch::serialize::InputArchive nested;
    if (archive.try_read(key, tensor) || archive.try_read(key, nested)) {
      mismatch("the file has " + prefix + key + ", which the network lacks");
    }
  }
}

}  // namespace

std::vector<CheckedTensor> readCheckedWeights(torch::serialize::InputArchive& archive, torch::nn::Module& module,
                                              const std::set<std::string>& ignoredKeys) {
  std::vector<CheckedTensor> out;
  readModule(archive, module, "", ignoredKeys, out);
  return out;
}

void copyWeights(const std::vector<CheckedTensor>& weights) {
  torch::NoGradGuard noGrad;
  for (const auto& weight : weights) weight.target.copy_(weight.loaded);
}

void checkOptimizerState(torch::optim::AdamW& optimizer, torch::nn::Module& module) {
  for (auto& parameter : module.named_parameters()) {
    auto found = optimizer.state().find(c10::guts::to_string(parameter.value().unsafeGetTensorImpl()));
    if (found == optimizer.state().end()) continue;  // no step taken for it yet
    auto& state = static_cast<torch::optim::AdamWParamState&>(*found->second);
    for (const auto& [moment, tensor] : {std::pair{"exp_avg", state.exp_avg()}, std::pair{"exp_avg_sq", state.exp_avg_sq()}}) {
      std::string name = std::string("optimiser state ") + moment + " of " + parameter.key();
      if (!tensor.defined() || tensor.sizes() != parameter.value().sizes()) {
        throw std::runtime_error(name + " does not match the network (" + (tensor.defined() ? shapeText(tensor) : "missing") +
                                 ", " + shapeText(parameter.value()) + " expected)");
      }
      if (tensor.scalar_type() != parameter.value().scalar_type() || !allFinite(tensor)) {
        throw std::runtime_error(name + " holds non-finite values or the wrong type");
      }
    }
  }
}
