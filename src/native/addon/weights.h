// Weights read from an archive are checked against the network they are meant for before any is used:
// LibTorch's own Module::load replaces a parameter with whatever tensor the file holds, whatever its shape,
// so another model's weights would load silently and drop or duplicate columns.
#pragma once
#include <torch/torch.h>

#include <set>
#include <string>
#include <vector>

struct CheckedTensor {
  torch::Tensor target;  // the network's own parameter or buffer
  torch::Tensor loaded;  // the file's tensor of the same name, shape and type
};

// Every parameter and buffer of `module`, read from `archive` under the names Module::save gives them.
// A missing or unexpected tensor, a different shape or type, or a non-finite value is refused with a
// one-line message naming the tensor. `ignoredKeys` are top-level entries that are not weights.
std::vector<CheckedTensor> readCheckedWeights(torch::serialize::InputArchive& archive, torch::nn::Module& module,
                                              const std::set<std::string>& ignoredKeys);

// Copies checked weights into the network's tensors in place, so that an optimiser's references stay valid.
void copyWeights(const std::vector<CheckedTensor>& weights);

// The loaded optimiser state belongs to these parameters: its moments have their shapes and are finite.
void checkOptimizerState(torch::optim::AdamW& optimizer, torch::nn::Module& module);
