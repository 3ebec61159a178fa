// The inner loops need the vectoriser, which -O2 in GCC 12 only applies when no loop remainder is needed.
#pragma GCC optimize("O3")
#include "reduce.h"

#include <algorithm>
#include <cmath>

namespace {

constexpr int kPhases = 64;        // libvips' VIPS_TRANSFORM_SCALE: sub-pixel positions of the kernel
constexpr int kWeightShift = 12;   // libvips' VIPS_INTERPOLATE_SHIFT: fixed-point weights
constexpr double kGap = 2.0;       // vips_resize's default: box-shrink only what leaves at least ×2 for Lanczos

double sinc(double x) {
  if (x == 0.0) return 1.0;
  x *= M_PI;
  return std::sin(x) / x;
}

double lanczos3(double x) { return x >= -3 && x <= 3 ? sinc(x) * sinc(x / 3) : 0.0; }

int roundHalfUp(double x) { return static_cast<int>(std::floor(x + 0.5)); }

AxisTaps boxTaps(int inLength, int factor) {
  AxisTaps taps;
  taps.outLength = (inLength + factor - 1) / factor;  // libvips shrinks with "ceil" inside reduce
  taps.points = factor;
  taps.box = true;
  for (int o = 0; o < taps.outLength; ++o) {
    for (int i = 0; i < factor; ++i) {
      taps.index.push_back(std::min(o * factor + i, inLength - 1));
      taps.weight.push_back(1);
    }
  }
  return taps;
}

AxisTaps lanczosTaps(int inLength, int outLength, double shrink, double extraPixels) {
  AxisTaps taps;
  taps.outLength = outLength;
  taps.points = 2 * static_cast<int>(std::rint(3 * shrink)) + 1;
  const int points = taps.points;
  // One normalised, fixed-point kernel per 1/64-pixel phase (vips_reduce_make_mask).
  std::vector<int16_t> table((kPhases + 1) * points);
  std::vector<double> kernel(points);
  for (int phase = 0; phase <= kPhases; ++phase) {
    const double x = static_cast<float>(phase) / kPhases;
    const double half = x + points / 2.0 - 1;
    double sum = 0;
    for (int i = 0; i < points; ++i) sum += kernel[i] = lanczos3((i - half) / shrink);
    for (int i = 0; i < points; ++i) {
      table[phase * points + i] = static_cast<int16_t>(kernel[i] / sum * (1 << kWeightShift));
    }
  }
  // Centre convention with the rounding slack split evenly between both ends (vips_reducev_build).
  const double offset = (1 + extraPixels) / 2.0 - 1;
  const int pad = static_cast<int>(std::ceil(points / 2.0)) - 1;
  taps.index.resize(static_cast<size_t>(outLength) * points);
  taps.weight.resize(static_cast<size_t>(outLength) * points);
  for (int o = 0; o < outLength; ++o) {
    const double position = (o + 0.5) * shrink - 0.5 - offset;
    const int first = static_cast<int>(position);
    const int subpixel = static_cast<int>(position * kPhases * 2) & (kPhases * 2 - 1);
    const int phase = (subpixel + 1) >> 1;
    for (int i = 0; i < points; ++i) {
      taps.index[o * points + i] = std::clamp(first + i - pad, 0, inLength - 1);
      taps.weight[o * points + i] = table[phase * points + i];
    }
  }
  return taps;
}

// The stages of one axis reduced by `shrink`: a box shrink first when the factor leaves more than the
// gap (vips_reducev_build), then Lanczos-3 for the rest.
std::vector<AxisTaps> planAxis(int inLength, double shrink) {
  std::vector<AxisTaps> stages;
  const int outLength = roundHalfUp(inLength / shrink);
  double extraPixels = outLength * shrink - inLength;
  double residual = shrink;
  const int boxFactor = std::max(1, static_cast<int>(std::floor(static_cast<double>(inLength) / outLength / kGap)));
  if (boxFactor > 1) {
    stages.push_back(boxTaps(inLength, boxFactor));
    inLength = stages.back().outLength;
    extraPixels /= boxFactor;
    residual /= boxFactor;
  }
  if (residual != 1.0) stages.push_back(lanczosTaps(inLength, outLength, residual, extraPixels));
  return stages;
}

// Reduces the rows of `in` (each row is one line of the axis being reduced). The weights are whole
// numbers and every sum stays below 2^24, so float arithmetic gives libvips' integer results exactly.
void reduceRows(const RgbImage& in, const AxisTaps& taps, RgbImage& out, std::vector<float>& sums) {
  const int rowBytes = in.width * 3;
  out.width = in.width;
  out.height = taps.outLength;
  out.pixels.resize(static_cast<size_t>(rowBytes) * out.height);
  sums.resize(rowBytes);
  float* __restrict sum = sums.data();
  const unsigned boxMultiplier = static_cast<unsigned>((1LL << 32) / ((1 << 8) * taps.points));
  for (int o = 0; o < taps.outLength; ++o) {
    const int* index = taps.index.data() + o * taps.points;
    const float* weight = taps.weight.data() + o * taps.points;
    const uint8_t* __restrict first = in.pixels.data() + static_cast<size_t>(index[0]) * rowBytes;
    for (int e = 0; e < rowBytes; ++e) sum[e] = weight[0] * first[e];
    for (int i = 1; i < taps.points; ++i) {
      const uint8_t* __restrict row = in.pixels.data() + static_cast<size_t>(index[i]) * rowBytes;
      for (int e = 0; e < rowBytes; ++e) sum[e] += weight[i] * row[e];
    }
    uint8_t* __restrict target = out.pixels.data() + static_cast<size_t>(o) * rowBytes;
    if (taps.box) {
      // vips_shrinkv's rounded division by a multiplication.
      for (int e = 0; e < rowBytes; ++e) {
        target[e] = static_cast<uint8_t>((static_cast<unsigned>(static_cast<int>(sum[e]) + taps.points / 2) * boxMultiplier) >> 24);
      }
    } else {
      for (int e = 0; e < rowBytes; ++e) {
        const int value = (static_cast<int>(sum[e]) + (1 << (kWeightShift - 1))) >> kWeightShift;
        target[e] = static_cast<uint8_t>(std::clamp(value, 0, 255));
      }
    }
  }
}

void transpose(const RgbImage& in, RgbImage& out) {
  out.width = in.height;
  out.height = in.width;
  out.pixels.resize(in.pixels.size());
  // In tiles, so that both the rows read and the rows written stay in the cache.
  constexpr int kTile = 16;
  for (int y0 = 0; y0 < in.height; y0 += kTile) {
    for (int x0 = 0; x0 < in.width; x0 += kTile) {
      for (int x = x0; x < std::min(x0 + kTile, in.width); ++x) {
        uint8_t* target = out.pixels.data() + static_cast<size_t>(x) * out.width * 3;
        for (int y = y0; y < std::min(y0 + kTile, in.height); ++y) {
          const uint8_t* pixel = in.pixels.data() + (static_cast<size_t>(y) * in.width + x) * 3;
          target[y * 3] = pixel[0];
          target[y * 3 + 1] = pixel[1];
          target[y * 3 + 2] = pixel[2];
        }
      }
    }
  }
}

}  // namespace

const std::vector<AxisTaps>& Reducer::stages(int inLength, double shrink) {
  auto key = std::make_pair(inLength, shrink);
  auto found = plans_.find(key);
  if (found != plans_.end()) return found->second;
  if (plans_.size() > 64) plans_.clear();  // a folder of many sizes: keep memory bounded
  return plans_.emplace(key, planAxis(inLength, shrink)).first->second;
}

const RgbImage& Reducer::reduceTransposed(const RgbImage& in, double shrink) {
  // sharp passes 1/shrink to vips_resize, which passes 1/scale to vips_reducev/vips_reduceh.
  const double factor = 1.0 / (1.0 / shrink);
  const std::vector<AxisTaps> none;
  // Vertical first, as vips_resize; then the horizontal axis as rows of the transposed image.
  const RgbImage* current = &in;
  for (const AxisTaps& taps : factor > 1.0 ? stages(in.height, factor) : none) {
    RgbImage& target = current == &a_ ? b_ : a_;
    reduceRows(*current, taps, target, sums_);
    current = &target;
  }
  RgbImage& transposed = current == &a_ ? b_ : a_;
  transpose(*current, transposed);
  current = &transposed;
  for (const AxisTaps& taps : factor > 1.0 ? stages(transposed.height, factor) : none) {
    RgbImage& target = current == &a_ ? b_ : a_;
    reduceRows(*current, taps, target, sums_);
    current = &target;
  }
  return *current;
}
