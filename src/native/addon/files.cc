#include "files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "args.h"

namespace {

[[noreturn]] void fail(const std::string& action, const std::string& path, const std::string& reason) {
  throw std::runtime_error("cannot " + action + " " + args::printable(path) + ": " + reason);
}

std::string kindOf(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// Closes the descriptor on every path out of a function.
struct Descriptor {
  int fd;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::vector<char> readRegularFile(const std::string& path, uint64_t maxBytes) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below, once fstat has seen it.
  Descriptor file{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)};
  if (file.fd < 0) fail("read", path, std::strerror(errno));
  struct stat status {};
  if (::fstat(file.fd, &status) != 0) fail("read", path, std::strerror(errno));
  if (!S_ISREG(status.st_mode)) fail("read", path, "it is " + kindOf(status.st_mode) + ", not a regular file");
  uint64_t size = static_cast<uint64_t>(status.st_size);
  if (size > maxBytes) {
    fail("read", path, "it holds " + std::to_string(size >> 20) + " MiB, more than the " + std::to_string(maxBytes >> 20) + " MiB a weights file may have");
  }
  std::vector<char> bytes(size);
  size_t done = 0;
  while (done < size) {
    ssize_t got = ::read(file.fd, bytes.data() + done, size - done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail("read", path, std::strerror(errno));
    if (got == 0) fail("read", path, "the file shrank while it was being read");
    done += static_cast<size_t>(got);
  }
  return bytes;
}

void writeRegularFile(const std::string& path, const std::string& bytes) {
  // O_NONBLOCK: a FIFO without a reader fails with ENXIO instead of waiting for one.
  Descriptor file{::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0666)};
  if (file.fd < 0) fail("write", path, errno == ENXIO ? "it is a FIFO or device, not a regular file" : std::strerror(errno));
  struct stat status {};
  if (::fstat(file.fd, &status) != 0) fail("write", path, std::strerror(errno));
  if (!S_ISREG(status.st_mode)) fail("write", path, "it is " + kindOf(status.st_mode) + ", not a regular file");
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t wrote = ::write(file.fd, bytes.data() + done, bytes.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0) fail("write", path, std::strerror(errno));
    done += static_cast<size_t>(wrote);
  }
  int fd = file.fd;
  file.fd = -1;
  if (::close(fd) != 0) fail("write", path, std::strerror(errno));
}
