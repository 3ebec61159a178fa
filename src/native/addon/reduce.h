// Downsizing of 8-bit RGB images the way libvips' vips_resize does it (sharp's resize with kernel
// lanczos3), so that the native JPEG path stores the same pixels as the sharp path to within rounding:
// per axis, vertical first, an integer box shrink while the factor is at least twice the gap of 2, then
// an antialiased Lanczos-3 reduce with libvips' centre convention, 1/64-pixel phase tables and 12-bit
// fixed-point weights.
#pragma once
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

// Interleaved RGB bytes, row after row.
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;
};

// For each output position along one axis: the input positions of its taps and their weights.
struct AxisTaps {
  int outLength = 0;
  int points = 0;
  std::vector<int> index;   // outLength × points, clamped to the edge (libvips' copy-extend)
  std::vector<float> weight;// outLength × points, whole numbers: a box's 1s, or 12-bit fixed-point weights
  bool box = false;         // the sum is divided by `points` as vips_shrinkv does, not shifted by 12 bits
};

// Keeps its tap tables (most images of a folder share a size) and scratch buffers between images;
// one per thread.
class Reducer {
 public:
  // Resizes `in` by 1/shrink on both axes (shrink >= 1) to round(width / shrink) × round(height / shrink)
  // and returns the result transposed: its pixel (x, y) is at row x, column y of the returned image,
  // which is valid until the next call.
  const RgbImage& reduceTransposed(const RgbImage& in, double shrink);

 private:
  const std::vector<AxisTaps>& stages(int inLength, double shrink);

  std::map<std::pair<int, double>, std::vector<AxisTaps>> plans_;
  RgbImage a_, b_;
  std::vector<float> sums_;
};
