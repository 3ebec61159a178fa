// The arguments that describe a batch (pixels, indices, augmentation rows), read and checked the same way
// by the Engine's methods and by makeBatch.
#pragma once
#include <napi.h>

#include "batch.h"

// A Uint8Array holding whole (storedSize, storedSize, 3) images.
PixelSource pixelsArgument(const Napi::Value& value, int64_t storedSize);
// An Int32Array of image numbers inside `source`.
Napi::Int32Array indicesArgument(const Napi::Value& value, const PixelSource& source);
// A Float32Array of n rows of kAugmentFields valid parameters; null or undefined give nullptr unless required.
const float* augmentArgument(const Napi::Value& value, int64_t n, bool required);
