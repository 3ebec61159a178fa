// Decodes one baseline or progressive JPEG straight to the stored square the sharp path makes
// (src/data/decode.ts): libjpeg-turbo's DCT-domain shrink-on-load at the factor sharp picks, a
// libvips-compatible Lanczos-3 resize (reduce.h), EXIF orientation, the centred square, 8-bit RGB HWC.
// Anything it does not handle the same way (not a JPEG, CMYK/YCCK, an ICC profile, an odd EXIF block,
// a picture smaller than the square, any libjpeg warning or error, a decompression bomb) it declines
// with a short reason, and the caller decodes that file with sharp instead.
#pragma once
#include <turbojpeg.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "reduce.h"

// Header pixel limit, the same as src/data/decode.ts gives sharp.
constexpr int64_t kJpegPixelLimit = 100'000'000;

// One decoder per thread: the TurboJPEG handle and reusable buffers.
class JpegDecoder {
 public:
  JpegDecoder();
  ~JpegDecoder();
  JpegDecoder(const JpegDecoder&) = delete;
  JpegDecoder& operator=(const JpegDecoder&) = delete;

  // Writes storedSize × storedSize × 3 bytes to `out` and returns "", or returns why it declined.
  std::string decodeSquare(const uint8_t* data, size_t size, int storedSize, uint8_t* out);

 private:
  tjhandle handle_;
  RgbImage image_;
  Reducer reducer_;
};
