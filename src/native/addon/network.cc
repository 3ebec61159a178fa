#include "network.h"

namespace nn = torch::nn;

NetworkImpl::NetworkImpl(const NetworkSpec& spec) {
  nn::Sequential layers;
  int64_t channels = 3;
  for (size_t stage = 0; stage < spec.widths.size(); ++stage) {
    if (stage > 0) layers->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2)));
    for (int64_t i = 0; i < spec.convsPerStage; ++i) {
      layers->push_back(nn::Conv2d(nn::Conv2dOptions(channels, spec.widths[stage], 3).padding(1).bias(false)));
      layers->push_back(nn::BatchNorm2d(spec.widths[stage]));
      layers->push_back(nn::ReLU(nn::ReLUOptions(true)));
      channels = spec.widths[stage];
    }
  }
  body = register_module("body", layers);
  dropout = register_module("dropout", nn::Dropout(spec.dropout));
  featureChannels = channels;
  head = register_module("head", nn::Linear(channels, spec.classes));
  for (auto& module : modules(false)) {
    if (auto* conv = module->as<nn::Conv2d>()) {
      nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
    }
  }
}

torch::Tensor NetworkImpl::features(torch::Tensor x) {
  return body->forward(x).mean({2, 3});
}

torch::Tensor NetworkImpl::forward(torch::Tensor x) {
  return head->forward(dropout->forward(features(x)));
}
