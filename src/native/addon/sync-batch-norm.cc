#include "sync-batch-norm.h"

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// (C) -> (1, C, 1, 1), to broadcast over a batch.
torch::Tensor perChannel(const torch::Tensor& values) { return values.view({1, -1, 1, 1}); }

struct SyncBatchNormFunction : public torch::autograd::Function<SyncBatchNormFunction> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor input, torch::Tensor weight, torch::Tensor bias,
                               torch::nn::BatchNorm2dImpl* norm, GroupLink* group) {
    auto x = input.to(torch::kFloat);
    const int64_t channels = x.size(1);
    const double count = static_cast<double>(x.numel() / channels);
    auto [variance, mean] = torch::var_mean(x, {0, 2, 3}, /*unbiased=*/false);
    // Chan et al.'s parallel combination of (count, mean, sum of squared deviations), in double.
    auto local = torch::cat({torch::full({1}, count, torch::kDouble), mean.to(torch::kDouble), variance.to(torch::kDouble) * count});
    auto parts = group->allgather(local, "the batch-norm statistics exchange");
    double total = 0;
    auto globalMean = torch::zeros({channels}, torch::kDouble);
    for (auto& part : parts) {
      total += part[0].item<double>();
      globalMean += part.slice(0, 1, 1 + channels) * part[0];
    }
    globalMean /= total;
    auto squares = torch::zeros({channels}, torch::kDouble);
    for (auto& part : parts) {
      auto deviation = part.slice(0, 1, 1 + channels) - globalMean;
      squares += part.slice(0, 1 + channels) + part[0] * deviation * deviation;
    }
    double eps = norm->options.eps();
    auto invStd = (squares / total + eps).rsqrt().to(torch::kFloat);
    auto meanF = globalMean.to(torch::kFloat);
    {
      torch::NoGradGuard noGrad;
      double momentum = norm->options.momentum().value_or(0.1);
      norm->running_mean.mul_(1 - momentum).add_(meanF, momentum);
      norm->running_var.mul_(1 - momentum).add_((squares / std::max(total - 1, 1.0)).to(torch::kFloat), momentum);
      norm->num_batches_tracked.add_(1);
    }
    ctx->save_for_backward({x, weight, meanF, invStd});
    ctx->saved_data["count"] = total;
    ctx->saved_data["group"] = reinterpret_cast<int64_t>(group);
    return (x - perChannel(meanF)) * perChannel(invStd * weight) + perChannel(bias);
  }

  static variable_list backward(AutogradContext* ctx, variable_list gradOutputs) {
    auto saved = ctx->get_saved_variables();
    auto& x = saved[0];
    auto& weight = saved[1];
    auto& mean = saved[2];
    auto& invStd = saved[3];
    double total = ctx->saved_data["count"].toDouble();
    auto* group = reinterpret_cast<GroupLink*>(ctx->saved_data["group"].toInt());
    auto gradient = gradOutputs[0].to(torch::kFloat);
    auto normalised = (x - perChannel(mean)) * perChannel(invStd);
    auto gradBias = gradient.sum({0, 2, 3});
    auto gradWeight = (gradient * normalised).sum({0, 2, 3});
    // The input's gradient needs both sums over the whole global batch; the parameters' local sums are
    // summed across ranks with the other gradients after the backward pass.
    auto sums = torch::cat({gradBias, gradWeight}).to(torch::kDouble);
    group->allreduceSum(sums, "the batch-norm gradient all-reduce");
    const int64_t channels = x.size(1);
    auto meanGradient = (sums.slice(0, 0, channels) / total).to(torch::kFloat);
    auto meanGradientTimesNormalised = (sums.slice(0, channels) / total).to(torch::kFloat);
    auto gradInput = perChannel(weight * invStd) * (gradient - perChannel(meanGradient) - normalised * perChannel(meanGradientTimesNormalised));
    return {gradInput, gradWeight, gradBias, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor syncBatchNorm(const torch::Tensor& input, torch::nn::BatchNorm2dImpl& norm, GroupLink& group) {
  return SyncBatchNormFunction::apply(input, norm.weight, norm.bias, &norm, &group);
}
