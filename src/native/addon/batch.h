// Turns cached pixels into a network-ready batch: gathers the chosen images, applies per-image colour
// jitter, normalises, and resamples the centre crop through one affine transform per image (dihedral
// flip/rotation, scale, shift), all as batched tensor operations.
#pragma once
#include <torch/torch.h>
#include <array>
#include <cstdint>

// Floats per image in an augmentation array, in this order.
enum AugmentField {
  kDihedral = 0,   // 0..7: bit 0 flips x, bit 1 flips y, bit 2 swaps the axes
  kScale,          // zoom factor, 1 = the plain centre crop
  kShiftX,         // shift in normalised input coordinates ([-1, 1] spans the stored image)
  kShiftY,
  kBrightness,     // multiplies every channel
  kContrast,       // scales the distance from the image's mean
  kGainRed,        // per-channel gains: stain tone
  kGainGreen,
  kGainBlue,
  kAugmentFields
};

// Images stored one after the other as (size, size, 3) RGB bytes.
struct PixelSource {
  const uint8_t* data;
  int64_t count;
  int64_t storedSize;
};

struct InputGeometry {
  int64_t inputSize;   // side of the network input; the crop is the centre inputSize/storedSize of the image
  std::array<float, 3> mean;
  std::array<float, 3> std;
};

// A float batch (n, 3, inputSize, inputSize) in channels-last memory on `device`.
// `augment` holds n * kAugmentFields floats, or is null for the plain centre crop.
torch::Tensor makeBatch(const PixelSource& source, const int32_t* indices, int64_t n, const float* augment,
                        const InputGeometry& geometry, const torch::Device& device);
