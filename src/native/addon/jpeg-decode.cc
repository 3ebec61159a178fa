#include "jpeg-decode.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace {

// What the segments before the image data say; `declined` is set when sharp would treat the file differently.
struct JpegMarkers {
  int orientation = 1;
  std::string declined;
};

uint16_t read16(const uint8_t* p, bool little) {
  return little ? static_cast<uint16_t>(p[0] | p[1] << 8) : static_cast<uint16_t>(p[0] << 8 | p[1]);
}

uint32_t read32(const uint8_t* p, bool little) {
  return little ? static_cast<uint32_t>(p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24)
                : static_cast<uint32_t>(static_cast<uint32_t>(p[0]) << 24 | p[1] << 16 | p[2] << 8 | p[3]);
}

// The Orientation tag (0x0112) of IFD0 in an EXIF block (the TIFF structure after "Exif\0\0"):
// 1 when absent, 0 when the block or the value is not one libvips would read the same way.
int exifOrientation(const uint8_t* tiff, size_t size) {
  if (size < 8) return 0;
  bool little;
  if (tiff[0] == 'I' && tiff[1] == 'I') {
    little = true;
  } else if (tiff[0] == 'M' && tiff[1] == 'M') {
    little = false;
  } else {
    return 0;
  }
  if (read16(tiff + 2, little) != 42) return 0;
  const size_t ifd = read32(tiff + 4, little);
  if (ifd > size - 2) return 0;
  const size_t entries = read16(tiff + ifd, little);
  for (size_t k = 0; k < entries; ++k) {
    const size_t entry = ifd + 2 + 12 * k;
    if (entry > size - 12) return 0;
    if (read16(tiff + entry, little) != 0x0112) continue;
    const int type = read16(tiff + entry + 2, little);
    const int value = read16(tiff + entry + 8, little);
    return type == 3 && value >= 1 && value <= 8 ? value : 0;  // SHORT
  }
  return 1;
}

bool startsWith(const uint8_t* data, size_t size, const char* prefix, size_t length) {
  return size >= length && std::memcmp(data, prefix, length) == 0;
}

// Walks the segments up to the first scan. A malformed segment list ends the walk: libjpeg then decides.
JpegMarkers readMarkers(const uint8_t* data, size_t size) {
  JpegMarkers markers;
  int exifBlocks = 0;
  size_t pos = 2;
  while (pos + 4 <= size && data[pos] == 0xFF) {
    const uint8_t marker = data[pos + 1];
    if (marker == 0xFF) {  // fill byte
      pos += 1;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) break;  // start of scan, end of image
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
      pos += 2;
      continue;
    }
    const size_t length = static_cast<size_t>(data[pos + 2]) << 8 | data[pos + 3];
    if (length < 2 || pos + 2 + length > size) break;
    const uint8_t* payload = data + pos + 4;
    const size_t payloadSize = length - 2;
    if (marker == 0xE1 && startsWith(payload, payloadSize, "Exif\0\0", 6)) {
      exifBlocks += 1;
      markers.orientation = exifOrientation(payload + 6, payloadSize - 6);
      if (markers.orientation == 0) markers.declined = "EXIF orientation not readable";
      if (exifBlocks > 1) markers.declined = "more than one EXIF block";
    } else if (marker == 0xE2 && startsWith(payload, payloadSize, "ICC_PROFILE\0", 12)) {
      markers.declined = "ICC profile (sharp converts it to sRGB)";
    }
    if (!markers.declined.empty()) return markers;
    pos += 2 + length;
  }
  return markers;
}

// sharp's shrink-on-load for JPEG (src/pipeline.cc, fastShrinkOnLoad): 8, 4 or 2 when the whole shrink
// is at least that, one step less when its integer part equals the factor (libjpeg rounding).
int shrinkOnLoad(double shrink) {
  int factor = 1;
  if (shrink >= 8) {
    factor = 8;
  } else if (shrink >= 4) {
    factor = 4;
  } else if (shrink >= 2) {
    factor = 2;
  }
  if (factor > 1 && static_cast<int>(shrink) == factor) factor /= 2;
  return factor;
}

// Stored-image coordinates of an oriented-image pixel, for EXIF orientations 1-8 (rotate, then mirror,
// as libvips does), given the stored image's width and height.
inline void orientedToStored(int orientation, int x, int y, int width, int height, int& sx, int& sy) {
  switch (orientation) {
    case 2: sx = width - 1 - x; sy = y; break;
    case 3: sx = width - 1 - x; sy = height - 1 - y; break;
    case 4: sx = x; sy = height - 1 - y; break;
    case 5: sx = y; sy = x; break;
    case 6: sx = y; sy = height - 1 - x; break;
    case 7: sx = width - 1 - y; sy = height - 1 - x; break;
    case 8: sx = width - 1 - y; sy = x; break;
    default: sx = x; sy = y; break;
  }
}

}  // namespace

JpegDecoder::JpegDecoder() : handle_(tjInitDecompress()) {
  if (!handle_) throw std::runtime_error("cannot start the JPEG decoder");
}

JpegDecoder::~JpegDecoder() { tjDestroy(handle_); }

std::string JpegDecoder::decodeSquare(const uint8_t* data, size_t size, int storedSize, uint8_t* out) {
  if (size < 3 || data[0] != 0xFF || data[1] != 0xD8 || data[2] != 0xFF) return "not a JPEG";
  const JpegMarkers markers = readMarkers(data, size);
  if (!markers.declined.empty()) return markers.declined;

  int width = 0, height = 0, subsampling = 0, colourspace = 0;
  if (tjDecompressHeader3(handle_, data, static_cast<unsigned long>(size), &width, &height, &subsampling, &colourspace) != 0) {
    return std::string("header: ") + tjGetErrorStr2(handle_);
  }
  if (colourspace == TJCS_CMYK || colourspace == TJCS_YCCK) return "CMYK or YCCK colour";
  if (static_cast<int64_t>(width) * height > kJpegPixelLimit) return "over the pixel limit";
  if (std::min(width, height) < storedSize) return "smaller than the stored size (sharp enlarges it)";

  const int load = shrinkOnLoad(static_cast<double>(std::min(width, height)) / storedSize);
  const tjscalingfactor factor{1, load};
  const int decodedWidth = TJSCALED(width, factor);
  const int decodedHeight = TJSCALED(height, factor);
  image_.pixels.resize(static_cast<size_t>(decodedWidth) * decodedHeight * 3);
  // Stop on warnings: libjpeg pads a truncated file with grey and only warns, where sharp (failOn 'error') fails.
  if (tjDecompress2(handle_, data, static_cast<unsigned long>(size), image_.pixels.data(), decodedWidth,
                    decodedWidth * 3, decodedHeight, TJPF_RGB, TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS) != 0) {
    return std::string("libjpeg: ") + tjGetErrorStr2(handle_);
  }
  // libjpeg rounds the scaled size up; libvips keeps the top-left width/load × height/load pixels.
  image_.width = width / load;
  image_.height = height / load;
  if (image_.width != decodedWidth) {
    for (int y = 1; y < image_.height; ++y) {
      std::memmove(image_.pixels.data() + static_cast<size_t>(y) * image_.width * 3,
                   image_.pixels.data() + static_cast<size_t>(y) * decodedWidth * 3, static_cast<size_t>(image_.width) * 3);
    }
  }

  // The resized image comes back transposed: its pixel (x, y) at row x, column y.
  const RgbImage& resized = reducer_.reduceTransposed(image_, static_cast<double>(std::min(image_.width, image_.height)) / storedSize);
  const int resizedWidth = resized.height;
  const int resizedHeight = resized.width;

  // sharp rotates after the resize, then crops the centre: (in - out + 1) / 2 from the top left.
  const bool transposed = markers.orientation >= 5;
  const int orientedWidth = transposed ? resizedHeight : resizedWidth;
  const int orientedHeight = transposed ? resizedWidth : resizedHeight;
  if (orientedWidth < storedSize || orientedHeight < storedSize) return "resized below the stored size";
  const int left = (orientedWidth - storedSize + 1) / 2;
  const int top = (orientedHeight - storedSize + 1) / 2;
  for (int y = 0; y < storedSize; ++y) {
    for (int x = 0; x < storedSize; ++x) {
      int sx, sy;
      orientedToStored(markers.orientation, left + x, top + y, resizedWidth, resizedHeight, sx, sy);
      std::memcpy(out + (static_cast<size_t>(y) * storedSize + x) * 3,
                  resized.pixels.data() + (static_cast<size_t>(sx) * resized.width + sy) * 3, 3);
    }
  }
  return "";
}
