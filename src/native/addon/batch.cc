#include "batch.h"

#include <stdexcept>
#include <string>

namespace F = torch::nn::functional;

namespace {

torch::Tensor gather(const PixelSource& source, const int32_t* indices, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if (indices[i] < 0 || indices[i] >= source.count) {
      throw std::out_of_range("image index " + std::to_string(indices[i]) + " is outside the pixel buffer");
    }
  }
  auto all = torch::from_blob(const_cast<uint8_t*>(source.data),
                              {source.count, source.storedSize, source.storedSize, 3}, torch::kUInt8);
  auto chosen = torch::from_blob(const_cast<int32_t*>(indices), {n}, torch::kInt32).to(torch::kLong);
  return all.index_select(0, chosen);
}

// Row i maps output coordinates to input coordinates for image i (see affine_grid).
torch::Tensor affineThetas(int64_t n, const float* augment, double crop) {
  auto theta = torch::zeros({n, 2, 3});
  auto t = theta.accessor<float, 3>();
  for (int64_t i = 0; i < n; ++i) {
    const float* p = augment ? augment + i * kAugmentFields : nullptr;
    int dihedral = p ? static_cast<int>(p[kDihedral]) & 7 : 0;
    double scale = crop * (p ? p[kScale] : 1.0);
    double fx = (dihedral & 1) ? -1.0 : 1.0;
    double fy = (dihedral & 2) ? -1.0 : 1.0;
    if (dihedral & 4) {
      t[i][0][1] = fx * scale;
      t[i][1][0] = fy * scale;
    } else {
      t[i][0][0] = fx * scale;
      t[i][1][1] = fy * scale;
    }
    t[i][0][2] = p ? p[kShiftX] : 0.0f;
    t[i][1][2] = p ? p[kShiftY] : 0.0f;
  }
  return theta;
}

torch::Tensor fieldColumn(const torch::Tensor& params, int field) {
  return params.select(1, field).view({-1, 1, 1, 1});
}

}  // namespace

torch::Tensor makeBatch(const PixelSource& source, const int32_t* indices, int64_t n, const float* augment,
                        const InputGeometry& geometry, const torch::Device& device) {
  torch::NoGradGuard noGrad;
  // NHWC bytes viewed as NCHW: a channels-last float tensor without reordering memory.
  auto x = gather(source, indices, n).to(device).permute({0, 3, 1, 2}).to(torch::kFloat).div_(255.0);

  if (augment) {
    auto params = torch::from_blob(const_cast<float*>(augment), {n, kAugmentFields}, torch::kFloat).to(device);
    x.mul_(params.slice(1, kGainRed, kGainBlue + 1).view({n, 3, 1, 1}));
    auto mean = x.mean({1, 2, 3}, true);
    x.sub_(mean).mul_(fieldColumn(params, kContrast)).add_(mean);
    x.mul_(fieldColumn(params, kBrightness)).clamp_(0.0, 1.0);
  }

  auto options = torch::TensorOptions().dtype(torch::kFloat).device(device);
  auto mean = torch::tensor({geometry.mean[0], geometry.mean[1], geometry.mean[2]}, options).view({1, 3, 1, 1});
  auto std = torch::tensor({geometry.std[0], geometry.std[1], geometry.std[2]}, options).view({1, 3, 1, 1});
  // Normalise before resampling so that areas shifted in from outside the image read as the mean colour.
  x = (x - mean) / std;

  double crop = static_cast<double>(geometry.inputSize) / static_cast<double>(source.storedSize);
  auto theta = affineThetas(n, augment, crop).to(device);
  auto grid = F::affine_grid(theta, {n, 3, geometry.inputSize, geometry.inputSize}, false);
  x = F::grid_sample(x, grid, F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(false));
  return x.contiguous(torch::MemoryFormat::ChannelsLast);
}
