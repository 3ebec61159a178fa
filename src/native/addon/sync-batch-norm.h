// Batch norm over the whole global batch when it is split across a process group: each rank's mean and
// variance are combined (an allgather of counts, means and squared deviations) before normalising, and
// the backward pass all-reduces the two per-channel sums it needs. With it, a group computes what one
// process computes on the whole batch, up to floating-point order.
#pragma once
#include <torch/torch.h>

#include "group-link.h"

torch::Tensor syncBatchNorm(const torch::Tensor& input, torch::nn::BatchNorm2dImpl& norm, GroupLink& group);
