// The classifier network: stages of (3x3 conv, batch norm, ReLU) pairs, max-pooling between stages,
// global average pooling, dropout and a linear head. Its shape is chosen in TypeScript (NetworkSpec).
#pragma once
#include <torch/torch.h>
#include <vector>

struct NetworkSpec {
  std::vector<int64_t> widths;  // output channels of each stage
  int64_t convsPerStage = 2;
  int64_t classes = 0;
  double dropout = 0.2;
};

class NetworkImpl : public torch::nn::Module {
 public:
  explicit NetworkImpl(const NetworkSpec& spec);
  // Class logits for a normalised batch (N, 3, H, W).
  torch::Tensor forward(torch::Tensor x);
  // The pooled features the linear head reads: (N, featureSize()).
  torch::Tensor features(torch::Tensor x);
  int64_t featureSize() const { return featureChannels; }
  torch::nn::Linear& linearHead() { return head; }
  // The layers before pooling, for a caller that runs them one by one (synchronised batch norm).
  torch::nn::Sequential& layers() { return body; }
  double dropoutRate() const { return dropout->options.p(); }

 private:
  torch::nn::Sequential body{nullptr};
  torch::nn::Dropout dropout{nullptr};
  torch::nn::Linear head{nullptr};
  int64_t featureChannels = 0;
};
TORCH_MODULE(Network);
