#include "batch-args.h"

#include <cmath>
#include <string>

#include "args.h"

namespace {

struct FieldRule {
  const char* name;
  args::Interval range;
};

// What each augmentation parameter may be: wide enough for any sensible policy, narrow enough that no
// value can make the resampling or the colour arithmetic meaningless.
const FieldRule kFieldRules[kAugmentFields] = {
    {"dihedral", {0, 7}},
    {"scale", {0.25, 4}},
    {"shiftX", {-1, 1}},
    {"shiftY", {-1, 1}},
    {"brightness", {0, 4}},
    {"contrast", {0, 4}},  // 0 flattens the image to its mean colour
    {"gainRed", {0, 4}},
    {"gainGreen", {0, 4}},
    {"gainBlue", {0, 4}},
};

}  // namespace

PixelSource pixelsArgument(const Napi::Value& value, int64_t storedSize) {
  auto pixels = args::uint8Array(value, "pixels");
  int64_t imageBytes = storedSize * storedSize * 3;
  int64_t bytes = static_cast<int64_t>(pixels.ByteLength());
  if (bytes % imageBytes != 0) {
    args::throwRange(value.Env(), "pixels holds " + std::to_string(bytes) + " bytes, not a whole number of " + std::to_string(storedSize) +
                                      "x" + std::to_string(storedSize) + "x3-byte images");
  }
  return {pixels.Data(), bytes / imageBytes, storedSize};
}

Napi::Int32Array indicesArgument(const Napi::Value& value, const PixelSource& source) {
  auto indices = args::int32Array(value, "indices");
  args::indicesBelow(indices, "indices", source.count, "the pixel buffer of " + std::to_string(source.count) + " images");
  return indices;
}

const float* augmentArgument(const Napi::Value& value, int64_t n, bool required) {
  if (!required && (value.IsNull() || value.IsUndefined())) return nullptr;
  auto rows = args::float32Array(value, "augment", static_cast<size_t>(n * kAugmentFields),
                                 std::to_string(kAugmentFields) + " per index");
  const float* data = rows.Data();
  for (int64_t i = 0; i < n; ++i) {
    for (int field = 0; field < kAugmentFields; ++field) {
      float x = data[i * kAugmentFields + field];
      const FieldRule& rule = kFieldRules[field];
      bool whole = field != kDihedral || std::trunc(x) == x;
      if (!std::isfinite(x) || !rule.range.contains(x) || !whole) {
        std::string expected = field == kDihedral ? "a whole number from 0 to 7" : "a finite number" + rule.range.text();
        args::throwRange(value.Env(), "augment row " + std::to_string(i) + ": " + rule.name + " must be " + expected + ", got " +
                                          args::formatNumber(x));
      }
    }
  }
  return data;
}
