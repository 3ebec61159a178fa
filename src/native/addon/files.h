// Weights files read and written only as regular files: a FIFO, a device (/dev/zero), a folder or an
// over-large file is refused at once instead of hanging the process or exhausting its memory.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

// The whole content of `path`, which must be a regular file of at most maxBytes (links are followed).
// Throws std::runtime_error with a one-line message otherwise.
std::vector<char> readRegularFile(const std::string& path, uint64_t maxBytes);

// Writes `bytes` to `path`, created or truncated, refusing anything that is not (or would not become) a regular file.
void writeRegularFile(const std::string& path, const std::string& bytes);
