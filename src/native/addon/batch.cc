#include "batch.h"

#include <stdexcept>
#include <string>
#include <vector>

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

// The dihedral view every image shares when the parameters ask for nothing but that flip or turn of the
// plain centre crop (always so for prediction and test-time views); -1 otherwise.
int sharedPlainView(const float* augment, int64_t n) {
  if (!augment) return 0;
  int view = static_cast<int>(augment[kDihedral]) & 7;
  for (int64_t i = 0; i < n; ++i) {
    const float* p = augment + i * kAugmentFields;
    if ((static_cast<int>(p[kDihedral]) & 7) != view || p[kScale] != 1.0f || p[kShiftX] != 0.0f || p[kShiftY] != 0.0f) return -1;
    for (int field = kBrightness; field < kAugmentFields; ++field) {
      if (p[field] != 1.0f) return -1;
    }
  }
  return view;
}

// The centre crop in a dihedral view, by slicing and flipping: exactly what the affine resampling gives
// for such a view when the margin is whole pixels, at a fraction of the cost.
torch::Tensor plainView(const torch::Tensor& images, int64_t inputSize, int view) {
  int64_t margin = (images.size(2) - inputSize) / 2;
  auto x = images.narrow(2, margin, inputSize).narrow(3, margin, inputSize);
  bool transpose = view & 4;
  std::vector<int64_t> flips;
  // After a transpose, the flip of x reads along the height and the flip of y along the width.
  if (view & 1) flips.push_back(transpose ? 2 : 3);
  if (view & 2) flips.push_back(transpose ? 3 : 2);
  if (transpose) x = x.transpose(2, 3);
  return flips.empty() ? x : x.flip(flips);
}

torch::Tensor fieldColumn(const torch::Tensor& params, int field) {
  return params.select(1, field).view({-1, 1, 1, 1});
}

}  // namespace

torch::Tensor makeBatch(const PixelSource& source, const int32_t* indices, int64_t n, const float* augment,
                        const InputGeometry& geometry, const torch::Device& device) {
  torch::NoGradGuard noGrad;
  auto options = torch::TensorOptions().dtype(torch::kFloat).device(device);
  auto mean = torch::tensor({geometry.mean[0], geometry.mean[1], geometry.mean[2]}, options).view({1, 3, 1, 1});
  auto std = torch::tensor({geometry.std[0], geometry.std[1], geometry.std[2]}, options).view({1, 3, 1, 1});
  // NHWC bytes viewed as NCHW: a channels-last tensor without reordering memory.
  auto images = gather(source, indices, n).to(device).permute({0, 3, 1, 2});

  bool wholePixelMargin = (source.storedSize - geometry.inputSize) % 2 == 0;
  int view = wholePixelMargin ? sharedPlainView(augment, n) : -1;
  if (view >= 0) {
    auto x = plainView(images, geometry.inputSize, view).to(torch::kFloat).div_(255.0);
    return ((x - mean) / std).contiguous(torch::MemoryFormat::ChannelsLast);
  }

  auto x = images.to(torch::kFloat).div_(255.0);

  if (augment) {
    auto params = torch::from_blob(const_cast<float*>(augment), {n, kAugmentFields}, torch::kFloat).to(device);
    x.mul_(params.slice(1, kGainRed, kGainBlue + 1).view({n, 3, 1, 1}));
    auto imageMean = x.mean({1, 2, 3}, true);
    x.sub_(imageMean).mul_(fieldColumn(params, kContrast)).add_(imageMean);
    x.mul_(fieldColumn(params, kBrightness)).clamp_(0.0, 1.0);
  }

  // Normalise before resampling so that areas shifted in from outside the image read as the mean colour.
  x = (x - mean) / std;

  double crop = static_cast<double>(geometry.inputSize) / static_cast<double>(source.storedSize);
  auto theta = affineThetas(n, augment, crop).to(device);
  auto grid = F::affine_grid(theta, {n, 3, geometry.inputSize, geometry.inputSize}, false);
  x = F::grid_sample(x, grid, F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kZeros).align_corners(false));
  return x.contiguous(torch::MemoryFormat::ChannelsLast);
}
